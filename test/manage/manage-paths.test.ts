import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import {
  buildTestApp,
  buildTestServices,
  createManagedLink,
  createTestDatabase,
  type TestApp,
} from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.db.close());

describe('management tokens and the request log', () => {
  it('when a management path is written in another case, then it is not a management page and the token never reaches the log', async () => {
    const lines: string[] = [];
    const db = createTestDatabase();
    const app = createApp(
      buildTestServices(loadConfig({ DATABASE_URL: 'sqlite::memory:', RATE_LIMITS: 'off' }), db, {
        logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
      }),
    );
    t = { app, db } as TestApp;
    const { token } = await createManagedLink(t.app);
    for (const path of [`/Manage/${token}`, `/MANAGE/${token}/delete`, `/mAnAgE/${token}`]) {
      const res = await request(app).get(path);
      expect(res.status, path).toBe(404);
    }
    await request(app).get(`/manage/${token}`).expect(200);
    const log = lines.join('\n');
    expect(log).not.toContain(token);
    expect(log).toContain('"path":"/manage/:token"');
    expect(log).toContain('"path":"/manage/:token/delete"');
  });
});

describe('keys a request picks', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'when the management page is asked for ?done=%s, then no notice appears',
    async (done) => {
      t = buildTestApp();
      const { manage } = await createManagedLink(t.app);
      const res = await request(t.app).get(`${manage}?done=${done}`).expect(200);
      expect(res.text).not.toContain('native code');
      expect(res.text).not.toContain('notice--success');
    },
  );
});
