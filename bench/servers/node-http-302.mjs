// The ceiling: a bare node:http server that answers every request with the same 302 and the
// same headers snip's redirect sends (without the per-request id). Nothing runs per request.
import http from 'node:http';

const HEADERS = {
  Location: 'https://example.com/articles/1/a-readable-title?utm_source=snip',
  'Cache-Control': 'private, max-age=0',
  'X-Robots-Tag': 'noindex',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Content-Length': '0',
};

const server = http.createServer((_req, res) => {
  res.writeHead(302, HEADERS);
  res.end();
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
