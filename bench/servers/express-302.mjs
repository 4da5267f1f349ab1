// A plain Express 5 app whose only route answers `GET /:code` with the same constant 302 as the
// node:http server: the cost of Express's router and request/response objects, and nothing else.
import express from 'express';

const HEADERS = {
  Location: 'https://example.com/articles/1/a-readable-title?utm_source=snip',
  'Cache-Control': 'private, max-age=0',
  'X-Robots-Tag': 'noindex',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Content-Length': '0',
};

const app = express();
app.disable('x-powered-by');
app.get('/:code', (_req, res) => {
  res.writeHead(302, HEADERS);
  res.end();
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
