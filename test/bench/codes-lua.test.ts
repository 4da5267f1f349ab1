import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankPermutation } from '../../bench/load/zipf.mjs';

// The wrk script of `npm run bench` (bench/load/codes.lua) against a real server that records
// every request: its Zipf sampler and permutation must draw what bench/load/zipf.mjs draws, and
// its browsers must come from bench/load/visitors.txt. Runs where wrk is installed.
const HAVE_WRK = spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status === 0;
const LOAD = path.resolve(import.meta.dirname, '../../bench/load');
const VISITORS = path.join(LOAD, 'visitors.txt');

type Seen = { path: string; headers: http.IncomingHttpHeaders };

function visitorLists() {
  const lists: Record<string, string[]> = { agent: [], language: [], referrer: [], address: [] };
  for (const line of fs.readFileSync(VISITORS, 'utf8').split('\n')) {
    const match = /^([a-z]+) (.+)$/.exec(line);
    if (match?.[1] && match[2] && lists[match[1]]) {
      lists[match[1]]!.push(match[1] === 'address' ? match[2].split(' ')[0]! : match[2]);
    }
  }
  return lists;
}

describe.skipIf(!HAVE_WRK)('codes.lua (wrk)', () => {
  let server: http.Server;
  let url: string;
  let seen: Seen[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      res.writeHead(302, { location: 'https://example.com/' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** wrk for `seconds` with codes.lua and its options; its result line, parsed. */
  function wrk(seconds: number, options: string[]) {
    seen = [];
    return new Promise<{ requests: number; unexpected: number }>((resolve, reject) => {
      const argv = ['-t1', '-c4', `-d${seconds}s`, '-s', path.join(LOAD, 'codes.lua'), url];
      const child = spawn('wrk', [...argv, '--', '302', 'b', ...options]);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', reject);
      child.on('close', () => {
        const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
        if (line === undefined) reject(new Error(`wrk printed no result:\n${out}`));
        else resolve(JSON.parse(line.slice('WRK_RESULT '.length)));
      });
    });
  }

  const rowOf = (p: string) => {
    const match = /^\/b([0-9a-f]{7})$/.exec(p);
    return match ? parseInt(match[1]!, 16) : -1;
  };

  it('draws Zipf-popular codes through the same permutation as zipf.mjs', async () => {
    const n = 1_000;
    const result = await wrk(2, [String(n), 'zipf', '1.1']);
    expect(result.unexpected).toBe(0);
    const rows = seen.map((s) => rowOf(s.path));
    expect(rows.filter((row) => row < 0 || row >= n)).toEqual([]);
    const draws = rows.length;
    expect(draws).toBeGreaterThan(2_000);
    let total = 0;
    for (let k = 1; k <= n; k++) total += k ** -1.1;
    const { rowOf: rowOfRank } = rankPermutation(n);
    for (const rank of [1, 2, 3, 10]) {
      const p = rank ** -1.1 / total;
      const got = rows.filter((row) => row === rowOfRank(rank)).length / draws;
      expect(Math.abs(got - p), `rank ${rank}: ${got} vs ${p}`).toBeLessThanOrEqual(
        5 * Math.sqrt((p * (1 - p)) / draws),
      );
    }
  });

  it('sends every request as a browser drawn from visitors.txt', async () => {
    const n = 10_000_000;
    await wrk(1, [String(n), 'browsers', VISITORS]);
    const lists = visitorLists();
    expect(seen.length).toBeGreaterThan(500);
    expect(seen.filter((s) => rowOf(s.path) < 0 || rowOf(s.path) >= n)).toEqual([]);
    const values = <T>(pick: (s: Seen) => T) => new Set(seen.map(pick));
    const agents = values((s) => s.headers['user-agent']);
    const languages = values((s) => s.headers['accept-language']);
    const referrers = values((s) => s.headers.referer ?? '-');
    const addresses = [...values((s) => String(s.headers['x-forwarded-for']))];
    expect([...agents].sort()).toEqual([...new Set(lists.agent)].sort());
    expect([...languages].sort()).toEqual([...new Set(lists.language)].sort());
    expect([...referrers].sort()).toEqual([...new Set(lists.referrer)].sort());
    const prefixes = new Set(lists.address);
    const bad = addresses.filter((a) => {
      const match = /^(\d+\.\d+\.\d+)\.(\d+)$/.exec(a);
      return !match || !prefixes.has(match[1]!) || Number(match[2]) < 1 || Number(match[2]) > 254;
    });
    expect(bad).toEqual([]);
    expect(new Set(addresses.map((a) => a.split('.').slice(0, 3).join('.'))).size).toBe(
      prefixes.size,
    );
  });
});
