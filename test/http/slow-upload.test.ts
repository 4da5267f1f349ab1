import http from 'node:http';
import net from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { limitRequestTime, serverOptions } from '../../src/http/server-timeouts.js';
import { buildTestApp, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

/**
 * The request timeout against slow clients, with an import's upload allowed to take longer: the
 * real app behind a real HTTP server built as src/server.ts builds it, with the timeouts made
 * short (REQUEST_MS for every request, UPLOAD_MS for an import's upload) to keep the test fast.
 */

const PASSWORD = 'correct horse battery staple';
const REQUEST_MS = 600;
const UPLOAD_MS = 3000;

let t: TestApp | undefined;
let server: http.Server | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
  }
  server = undefined;
  t?.db.close();
});

async function start(): Promise<{ port: number; cookie: string }> {
  t = buildTestApp(
    { ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://s.example' },
    { importUploadTimeoutMs: UPLOAD_MS },
  );
  const signedIn = await request(t.app)
    .post('/admin/sign-in')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ password: PASSWORD })
    .expect(303);
  const cookie = (signedIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  server = http.createServer(
    serverOptions({ headersTimeout: 10_000, requestTimeout: REQUEST_MS }, UPLOAD_MS),
    limitRequestTime(t.app, REQUEST_MS),
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, cookie };
}

type Trickled = { status: string; body: string; closedAfterMs: number };

/**
 * Sends `head`, then `body` in `pieces` pieces spread over `overMs`, and reads what comes back
 * until snip closes the connection (or it answered and the body was all sent).
 */
function trickle(port: number, head: string, body: string, pieces: number, overMs: number) {
  return new Promise<Trickled>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    const started = performance.now();
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      const [headPart = '', bodyPart = ''] = received.split('\r\n\r\n', 2);
      resolve({
        status: headPart.split('\r\n', 1)[0] ?? '',
        body: bodyPart,
        closedAfterMs: Math.round(performance.now() - started),
      });
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(head);
      const size = Math.ceil(body.length / pieces);
      let at = 0;
      timer = setInterval(() => {
        if (socket.destroyed || !socket.writable) return clearInterval(timer);
        socket.write(body.slice(at, at + size));
        at += size;
        if (at >= body.length) clearInterval(timer);
      }, overMs / pieces);
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      // A complete answer with a length: no need to wait for the close.
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(received)?.[1];
      const headEnd = received.indexOf('\r\n\r\n');
      if (length !== undefined && headEnd !== -1) {
        if (Buffer.byteLength(received.slice(headEnd + 4)) >= Number(length)) {
          socket.end();
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', finish);
  });
}

function importHead(cookie: string, length: number): string {
  return (
    'POST /admin/import?format=snip HTTP/1.1\r\nHost: s.example\r\nSec-Fetch-Site: same-origin\r\n' +
    `Cookie: ${cookie}\r\nContent-Type: text/csv\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`
  );
}

function csv(rows: number): string {
  const lines = ['code,target'];
  for (let i = 1; i <= rows; i += 1) lines.push(`slow-${i},https://example.com/${i}`);
  return lines.join('\n') + '\n';
}

describe('slow uploads', () => {
  it('when an import is uploaded more slowly than the request timeout allows any other request, then it is imported', async () => {
    const { port, cookie } = await start();
    const body = csv(200);
    const answer = await trickle(port, importHead(cookie, body.length), body, 10, REQUEST_MS * 3);
    console.log(
      `import uploaded over ${REQUEST_MS * 3} ms (request timeout ${REQUEST_MS} ms): ${answer.status} after ${answer.closedAfterMs} ms`,
    );
    expect(answer.status).toBe('HTTP/1.1 200 OK');
    expect(answer.body).toContain('200 of 200 links created');
    expect(t!.countLinks()).toBe(200);
  });

  it('when a form body on another route trickles past the request timeout, then the connection is cut with a 408', async () => {
    const { port } = await start();
    const form = `url=${encodeURIComponent('https://example.com/never-finished')}&alias=`;
    const head =
      'POST /shorten HTTP/1.1\r\nHost: s.example\r\nSec-Fetch-Site: same-origin\r\n' +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n`;
    const answer = await trickle(port, head, form, 10, REQUEST_MS * 5);
    expect(answer.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect(answer.closedAfterMs).toBeLessThan(REQUEST_MS * 3);
    expect(t!.countLinks()).toBe(0);
    // A body that stops after its first bytes, on a route that reads it, is cut the same way.
    const stalled = await trickle(
      port,
      'POST /admin/sign-in HTTP/1.1\r\nHost: s.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\npass',
      '',
      1,
      REQUEST_MS,
    );
    expect(stalled.status).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('when an import is uploaded more slowly than even its own limit, then a page says what happened and nothing is imported', async () => {
    const { port, cookie } = await start();
    const body = csv(50);
    // Half the file, then nothing: the upload stalls.
    const answer = await trickle(
      port,
      importHead(cookie, body.length),
      body.slice(0, body.length / 2),
      2,
      400,
    );
    expect(answer.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(UPLOAD_MS - 50);
    expect(answer.body).toContain('<title>Error: Import links');
    expect(answer.body).toContain('Nothing was imported. The upload took longer than 3 seconds');
    expect(t!.countLinks()).toBe(0);
    // The form's upload (multipart) the same, stalled inside the file part.
    const form =
      '--b0undary\r\nContent-Disposition: form-data; name="format"\r\n\r\nauto\r\n' +
      '--b0undary\r\nContent-Disposition: form-data; name="file"; filename="links.csv"\r\n' +
      `Content-Type: text/csv\r\n\r\n${body}\r\n--b0undary--\r\n`;
    const formHead = importHead(cookie, form.length)
      .replace('?format=snip', '')
      .replace('text/csv', 'multipart/form-data; boundary=b0undary');
    const stalledForm = await trickle(port, formHead, form.slice(0, form.length / 2), 2, 400);
    expect(stalledForm.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(stalledForm.body).toContain('The upload took longer than 3 seconds');
    expect(t!.countLinks()).toBe(0);
    // The next import is not refused as if one were still running.
    const whole = await trickle(port, formHead, form, 1, 10);
    expect(whole.status).toBe('HTTP/1.1 200 OK');
    expect(t!.countLinks()).toBe(50);
  });

  it('when an import is running, then a second one is refused with 409 until it is done', async () => {
    const { port, cookie } = await start();
    const body = csv(20);
    const first = trickle(port, importHead(cookie, body.length), body, 4, 1200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await trickle(port, importHead(cookie, body.length), body, 1, 10);
    expect(second.status).toBe('HTTP/1.1 409 Conflict');
    expect(second.body).toContain('Another import is running');
    expect((await first).status).toBe('HTTP/1.1 200 OK');
    const third = await trickle(port, importHead(cookie, body.length), body, 1, 10);
    expect(third.status).toBe('HTTP/1.1 200 OK');
    expect(third.body).toContain('0 of 20 links created');
  });
});
