import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createRequestListener } from '../../src/app.js';
import { buildTestApp } from '../support/test-app.js';

/**
 * Requests for unknown codes through the real HTTP stack (the server's listener: the redirect
 * fast path hands them to Express), counted for the default domain's key and written by the
 * flush; nothing about the request is kept. Only the clock is injected.
 */

const NOW = Date.UTC(2026, 5, 15, 12);

describe('requests for unknown codes', () => {
  it('are counted, 404s and those the not-found limit refuses alike, and no other request is', async () => {
    const t = buildTestApp(
      { BASE_URL: 'https://s.example', RATE_LIMITS: 'on', RATE_LIMIT_NOT_FOUND: '2/min' },
      { now: () => NOW },
    );
    const listener = createRequestListener(t.services);
    await request(t.app)
      .post('/shorten')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ url: 'https://t.example/', alias: 'known' })
      .expect(303);
    await request(listener).get('/known').expect(302);
    await request(listener).get('/unknown').expect(404);
    await request(listener).get('/Known').expect(404);
    // Probing goes on past the limit: still counted; any other missing page is not.
    await request(listener).get('/static/nothing.css').expect(429);
    await request(listener).get('/other').expect(429);
    await request(listener).head('/other').expect(429);
    // A post to a link that takes none ends here as well: not an unknown code.
    await request(listener).post('/known').expect(429);
    const counter = t.services.notFoundCounter;
    expect(counter.pendingTotal()).toBe(4);
    expect(await counter.flush()).toBe(4);
    expect(await t.services.store.visits.notFoundCounts('2026-06-15', '2026-06-15')).toEqual([
      { domainKey: 0, count: 4 },
    ]);
    // The table has a domain key, a day and a count: the codes asked for are nowhere.
    const dump = JSON.stringify(t.db.prepare('SELECT * FROM not_found_daily').all());
    expect(dump).toBe('[{"domain_key":0,"day":"2026-06-15","count":4}]');
  });

  it("count a word the alias policy keeps from new links (`docs`), never a path of snip's own routes", async () => {
    const t = buildTestApp({ BASE_URL: 'https://s.example' }, { now: () => NOW });
    const listener = createRequestListener(t.services);
    await request(listener).get('/docs').expect(404);
    await request(listener).get('/Admin').expect(404);
    await request(listener).get('/healthz').expect(200);
    await request(listener).get('/privacy').expect(200);
    expect(t.services.notFoundCounter.pendingTotal()).toBe(2);
  });
});
