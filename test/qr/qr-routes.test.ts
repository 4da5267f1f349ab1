import zlib from 'node:zlib';
import QRCode from 'qrcode';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRenderGate, type RenderGate } from '../../src/qr/render-gate.js';
import { buildTestApp, createManagedLink, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => {
  t?.db.close();
  vi.restoreAllMocks();
});

/** Counts QR images drawn, whichever of qrcode's entry points drew them. */
function countDraws(): () => number {
  const spies = [
    vi.spyOn(QRCode, 'create'),
    vi.spyOn(QRCode, 'toBuffer'),
    vi.spyOn(QRCode, 'toString'),
  ];
  const start = spies.map((spy) => spy.mock.calls.length);
  return () => spies.reduce((sum, spy, i) => sum + spy.mock.calls.length - start[i]!, 0);
}

describe('QR codes', () => {
  it('when the same QR code is asked for with changing query strings, then it is drawn once', async () => {
    t = buildTestApp({ BASE_URL: 'https://snip.example' });
    await createManagedLink(t.app);
    const draws = countDraws();
    const bodies = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const res = await request(t.app).get(`/qr/qr-link.png?v=${i}`).expect(200);
      bodies.add((res.body as Buffer).toString('base64'));
    }
    expect(draws()).toBe(1);
    expect(bodies.size).toBe(1);
  });

  it('when BASE_URL is set, then the image may be cached publicly and does not vary by host', async () => {
    t = buildTestApp({ BASE_URL: 'https://snip.example' });
    await createManagedLink(t.app);
    const res = await request(t.app).get('/qr/qr-link.svg').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    expect(res.headers.vary ?? '').not.toMatch(/Host/);
  });

  it('when BASE_URL is unset, then the image depends on the Host header: private, and Vary: Host', async () => {
    t = buildTestApp();
    await createManagedLink(t.app);
    const one = await request(t.app).get('/qr/qr-link.svg').set('Host', 'one.example').expect(200);
    const two = await request(t.app).get('/qr/qr-link.svg').set('Host', 'two.example').expect(200);
    expect(one.headers['cache-control']).toBe('private, max-age=86400');
    expect(one.headers.vary).toMatch(/\bHost\b/);
    expect(String(one.body)).not.toBe(String(two.body));
  });

  it('when the Host header is kilobytes long, then the answer is a clean 400, never a 500 with a stack trace', async () => {
    t = buildTestApp();
    await createManagedLink(t.app);
    for (const path of ['/qr/qr-link.png', '/qr/qr-link.svg', '/', '/qr-link+']) {
      const res = await request(t.app)
        .get(path)
        .set('Host', `${'h'.repeat(2300)}.example`);
      expect(res.status, path).toBe(400);
      expect(res.text).toContain('The Host header is too long');
      expect(res.text).not.toMatch(/\n\s+at /);
    }
  });
});

/** A PNG's header fields and its inflated rows, every chunk's CRC checked on the way. */
function readPng(png: Buffer): {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  pixels: Buffer;
} {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length), `${type} CRC`).toBe(
      zlib.crc32(data, zlib.crc32(type)),
    );
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const header = chunks[0]!.data;
  return {
    width: header.readUInt32BE(0),
    height: header.readUInt32BE(4),
    bitDepth: header[8]!,
    colorType: header[9]!,
    pixels: zlib.inflateSync(chunks[1]!.data),
  };
}

describe('QR code images', () => {
  it('when the PNG is asked for, then it is a valid 512-pixel black-and-white PNG of the short link with a 4-module quiet zone', async () => {
    t = buildTestApp({ BASE_URL: 'https://snip.example' });
    await createManagedLink(t.app);
    const res = await request(t.app).get('/qr/qr-link.png').buffer(true).expect(200);
    expect(res.headers['content-type']).toBe('image/png');
    const png = readPng(res.body as Buffer);
    expect(png).toMatchObject({ width: 512, height: 512, bitDepth: 1, colorType: 0 });
    const symbol = QRCode.create('https://snip.example/qr-link', { errorCorrectionLevel: 'M' });
    const { size, data } = symbol.modules;
    const cells = size + 8;
    const rowBytes = 1 + 512 / 8;
    expect(png.pixels.length).toBe(rowBytes * 512);
    const mismatches: string[] = [];
    for (let y = 0; y < 512; y++) {
      expect(png.pixels[y * rowBytes], 'filter type').toBe(0);
      for (let x = 0; x < 512; x++) {
        const white = (png.pixels[y * rowBytes + 1 + (x >> 3)]! >> (7 - (x & 7))) & 1;
        const [row, column] = [
          Math.floor((y * cells) / 512) - 4,
          Math.floor((x * cells) / 512) - 4,
        ];
        const inside = row >= 0 && row < size && column >= 0 && column < size;
        const dark = inside && data[row * size + column] === 1;
        if (dark === (white === 1) && mismatches.length < 5) mismatches.push(`${x},${y}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

/** Creates `qr-link` through the form under `host`, and opens its page as the browser would. */
async function createUnder(host: string): Promise<void> {
  const created = await request(t.app)
    .post('/shorten')
    .set({ ...SAME_ORIGIN, Host: host })
    .type('form')
    .send({ url: 'https://a.example/', alias: 'qr-link' })
    .expect(303);
  await request(t.app).get(created.headers.location!).set('Host', host).expect(200);
}

describe('QR codes under load', () => {
  it('when BASE_URL is unset and hundreds of Host headers are tried, then the image of the host snip printed stays cached', async () => {
    // A gate that lets every one of them be drawn: only the cache is under test here.
    const qrGate = createRenderGate({ running: 2, waiting: 8, perSecond: 1_000_000 });
    t = buildTestApp({}, { qrGate });
    const host = { Host: 'snip.test' };
    await createUnder(host.Host);
    let draws = countDraws();
    await request(t.app).get('/qr/qr-link.png').set(host).expect(200);
    expect(draws()).toBe(1);
    for (let i = 0; i < 300; i++) {
      await request(t.app).get('/qr/qr-link.png').set('Host', `h${i}.example`).expect(200);
    }
    draws = countDraws();
    await request(t.app).get('/qr/qr-link.png').set(host).expect(200);
    expect(draws(), 'drawn again').toBe(0);
  });

  it('when one client has RATE_LIMIT_QR images drawn, then its next drawing is a 429 with Retry-After, while cached images and other clients are still served', async () => {
    t = buildTestApp({ RATE_LIMITS: 'on', RATE_LIMIT_QR: '3/min', FLY_APP_NAME: 'snip' });
    const host = { Host: 'snip.test' };
    await createUnder(host.Host);
    const as = (ip: string, hostName = 'snip.test') =>
      request(t.app).get('/qr/qr-link.png').set({ Host: hostName, 'Fly-Client-IP': ip });
    await as('192.0.2.1').expect(200).expect('RateLimit-Remaining', '2');
    await as('192.0.2.1', 'other-1.example').expect(200).expect('RateLimit-Remaining', '1');
    await as('192.0.2.1', 'other-2.example').expect(200).expect('RateLimit-Remaining', '0');
    const refused = await as('192.0.2.1', 'other-3.example').expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.text).toContain('Too many QR codes');
    // Served from the cache: nothing is drawn, nothing counted.
    await as('192.0.2.1').expect(200);
    await as('192.0.2.2', 'other-3.example').expect(200);
  });

  it('when as many images are being drawn as the gate allows, then the next request is a 503 with Retry-After, not an error page', async () => {
    const full: RenderGate = { enter: () => null };
    t = buildTestApp({ BASE_URL: 'https://snip.example' }, { qrGate: full });
    await createManagedLink(t.app);
    for (const format of ['png', 'svg']) {
      const res = await request(t.app).get(`/qr/qr-link.${format}`).expect(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toBe('Too many QR codes are being drawn. Try again in a second.');
    }
  });
});

describe('the QR render gate', () => {
  it('when draws are asked for faster than its pace, then a fifth of a second of them pass at once and the rest as time allows', () => {
    let clock = 0;
    const gate = createRenderGate({ running: 1000, waiting: 0, perSecond: 50 }, () => clock);
    const passed = () => {
      let n = 0;
      while (gate.enter() !== null) n += 1;
      return n;
    };
    expect(passed()).toBe(10);
    clock += 100;
    expect(passed()).toBe(5);
    clock += 10_000; // a long quiet spell fills it up to the burst again, no more
    expect(passed()).toBe(10);
  });

  it('when more draws are asked for than run at once, then they wait in line up to its length, and later ones are refused', async () => {
    const gate = createRenderGate({ running: 2, waiting: 1, perSecond: 1000 });
    const first = await gate.enter()!;
    const second = await gate.enter()!;
    let thirdIn = false;
    const third = gate.enter()!.then((leave) => ((thirdIn = true), leave));
    expect(gate.enter()).toBeNull();
    await Promise.resolve();
    expect(thirdIn).toBe(false);
    first();
    first(); // leaving twice frees one turn only
    const leaveThird = await third;
    expect(thirdIn).toBe(true);
    expect(gate.enter(), 'the line is empty again').not.toBeNull();
    expect(gate.enter(), 'two running, one waiting').toBeNull();
    second();
    leaveThird();
  });
});
