import type { IncomingMessage } from 'node:http';
import { isbot } from 'isbot';
import type * as isbotModule from 'isbot';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { REMEMBERED_AGENTS } from '../../src/stats/remembered.js';
import { isCountedVisit } from '../../src/stats/visit-rules.js';

type IsbotModule = typeof isbotModule;

// isbot is wrapped so the test can see when it really runs; its answers are the real ones.
vi.mock('isbot', async (importOriginal) => {
  const real = await importOriginal<IsbotModule>();
  return { ...real, isbot: vi.fn(real.isbot) };
});

const browser = (n: number) =>
  `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${n}.0.0.0 Safari/537.36`;
const crawler = (n: number) => `Mozilla/5.0 (compatible; Examplebot/${n}.0; +https://bot.example/)`;

function visit(agent: string): Pick<IncomingMessage, 'method' | 'headers'> {
  return { method: 'GET', headers: { 'user-agent': agent } };
}

beforeEach(() => vi.mocked(isbot).mockClear());

describe('remembered isbot answers', () => {
  it('when a browser and a bot alternate, then each keeps its own answer and isbot runs once for each', () => {
    for (let i = 0; i < 5; i++) {
      expect(isCountedVisit(visit(browser(1)))).toBe(true);
      expect(isCountedVisit(visit(crawler(1)))).toBe(false);
    }
    expect(vi.mocked(isbot)).toHaveBeenCalledTimes(2);
  });

  it(`when more than ${REMEMBERED_AGENTS} agents are seen, then answers stay right and the oldest are judged again`, () => {
    for (let n = 1000; n < 1000 + REMEMBERED_AGENTS + 10; n++) {
      expect(isCountedVisit(visit(n % 2 ? browser(n) : crawler(n)))).toBe(n % 2 === 1);
    }
    const calls = vi.mocked(isbot).mock.calls.length;
    expect(isCountedVisit(visit(crawler(1000)))).toBe(false);
    expect(vi.mocked(isbot)).toHaveBeenCalledTimes(calls + 1);
  });

  it('when 3,000 distinct agents come back in turn, as a busy server sees them, then each is judged once', () => {
    for (let round = 0; round < 2; round++) {
      for (let n = 0; n < 3000; n++) isCountedVisit(visit(browser(20_000 + n)));
    }
    expect(vi.mocked(isbot)).toHaveBeenCalledTimes(3000);
  });

  it('when an agent is longer than 512 characters, then it is judged every time', () => {
    const long = `${browser(7)} ${'x'.repeat(600)}`;
    isCountedVisit(visit(long));
    isCountedVisit(visit(long));
    expect(vi.mocked(isbot)).toHaveBeenCalledTimes(2);
  });
});
