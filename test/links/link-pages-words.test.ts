import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, MANAGE_LOCATION, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

let t: TestApp | undefined;
afterEach(() => t?.db.close());

describe('the link pages word their messages from the catalog', () => {
  it('when the form is refused, then the field shows the service’s message, worded on the page', async () => {
    t = buildTestApp();
    const res = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'http://10.0.0.1/', alias: 'x' })
      .expect(422);
    expect(res.text).toContain(
      'Links to private or local network addresses can&#39;t be shortened.',
    );
    expect(res.text).toContain('An alias must be 3 to 64 characters long.');
    expect(res.text).not.toContain('[object Object]');
    expect(t.countLinks()).toBe(0);
  });

  it('when a link is made, then its copy buttons carry what to announce, in the page’s language', async () => {
    t = buildTestApp();
    const made = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/' })
      .expect(303);
    expect(made.headers.location).toMatch(MANAGE_LOCATION);
    const page = await request(t.app).get(made.headers.location!).expect(200);
    expect(page.text).toContain('data-copied="Copied"');
    expect(page.text).toContain(
      'data-copy-failed="Could not copy. The link is selected: press Ctrl+C (⌘C on a Mac)."',
    );
  });
});
