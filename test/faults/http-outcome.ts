import http from 'node:http';
import net from 'node:net';

/**
 * One HTTP request to snip on loopback and what became of it, told apart finely enough to say
 * whether an accepted request went unanswered: a refused connection (nothing listens) is not
 * the same as a response cut in the middle.
 */
export type RequestSpec = {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** A keep-alive agent for a client that reuses its connection; a new connection otherwise. */
  agent?: http.Agent;
  /** An answer later than this is a hang: the request is abandoned and counted as one. */
  deadlineMs?: number;
  /** Sends the first half of the body, waits this long, then the rest: a request in flight. */
  bodyPauseMs?: number;
};

export type Answer = {
  kind: 'answered';
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
};

export type Outcome =
  | Answer
  /** The connection was refused: nothing was listening (e.g. after a kill, or after close). */
  | { kind: 'refused'; code: string }
  /** Connected (or reused a connection), but no response head arrived before it closed. */
  | { kind: 'unanswered'; code: string }
  /** A response began and never finished. */
  | { kind: 'cut'; status: number; code: string }
  | { kind: 'hung'; ms: number };

const DEFAULT_DEADLINE_MS = 30_000;

export function send(port: number, spec: RequestSpec): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let status: number | null = null;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(outcome);
    };
    const headers = { ...spec.headers };
    if (spec.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(spec.body));
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: spec.method ?? 'GET',
      path: spec.path,
      headers,
      agent: spec.agent ?? false,
    });
    const deadline = setTimeout(() => {
      settle({ kind: 'hung', ms: Math.round(performance.now() - started) });
      req.destroy();
    }, spec.deadlineMs ?? DEFAULT_DEADLINE_MS);
    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message;
      if (status !== null) settle({ kind: 'cut', status, code });
      else if (!connected && code === 'ECONNREFUSED') settle({ kind: 'refused', code });
      else settle({ kind: 'unanswered', code });
    });
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error: NodeJS.ErrnoException) =>
        settle({ kind: 'cut', status: status ?? 0, code: error.code ?? error.message }),
      );
      res.on('end', () =>
        settle({
          kind: 'answered',
          status: status ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: Math.round(performance.now() - started),
        }),
      );
      res.on('close', () => {
        if (!res.complete) settle({ kind: 'cut', status: status ?? 0, code: 'incomplete' });
      });
    });
    if (spec.body !== undefined && spec.bodyPauseMs !== undefined) {
      const half = Math.floor(spec.body.length / 2);
      req.write(spec.body.slice(0, half));
      setTimeout(() => req.end(spec.body!.slice(half)), spec.bodyPauseMs);
    } else {
      req.end(spec.body);
    }
  });
}

/**
 * Bytes written as they are onto a new connection, for requests an HTTP client refuses to send
 * (both Content-Length and Transfer-Encoding). Answers the status line's code.
 */
export function sendRaw(port: number, bytes: string, deadlineMs = 10_000): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let received = '';
    let connected = false;
    const socket = net.connect(port, '127.0.0.1', () => {
      connected = true;
      socket.write(bytes);
    });
    const deadline = setTimeout(() => {
      socket.destroy();
      resolve({ kind: 'hung', ms: Math.round(performance.now() - started) });
    }, deadlineMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(deadline);
      const head = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (head) {
        const [headers = '', body = ''] = received.split('\r\n\r\n', 2);
        resolve({
          kind: 'answered',
          status: Number(head[1]),
          headers: { raw: headers },
          body,
          ms: Math.round(performance.now() - started),
        });
      } else if (!connected) resolve({ kind: 'refused', code: 'ECONNREFUSED' });
      else resolve({ kind: 'unanswered', code: 'closed' });
    });
  });
}

/** A short description of an outcome for failure messages. */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'answered':
      return `${outcome.status}`;
    case 'cut':
      return `cut after ${outcome.status} (${outcome.code})`;
    case 'hung':
      return `no answer after ${outcome.ms} ms`;
    default:
      return `${outcome.kind} (${outcome.code})`;
  }
}

/** A visible stack trace in a page: what no answer may ever contain. */
export const STACK_TRACE = /\n\s+at [^\n]+:\d+:\d+/;
