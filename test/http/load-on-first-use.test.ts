import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadOnFirstUse } from '../../src/http/load-on-first-use.js';

/** A router answering under /door, and how many times it was built. */
function door(): { load: () => Promise<RequestHandler>; loads: () => number } {
  let loads = 0;
  return {
    loads: () => loads,
    load: async () => {
      loads += 1;
      // A module import resolves on a later turn: requests arriving meanwhile must wait for it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const router = Router({ caseSensitive: true });
      router.get('/door', (_req, res) => res.json({ answered: 'door' }));
      router.get('/door/:name', (req, res) => res.json({ answered: req.params.name }));
      return router;
    },
  };
}

/** The app's last word, as snip's own handler: a 500 with a message, never the error's stack. */
const answerErrors: ErrorRequestHandler = (_error, _req, res, _next) => {
  res.status(500).type('text/plain').send('Something went wrong on our side.');
};

function appWith(handler: RequestHandler, mount?: string) {
  const app = express();
  app.set('case sensitive routing', true);
  if (mount === undefined) app.use(handler);
  else app.use(mount, handler);
  app.use((_req, res) => res.status(404).json({ answered: 'not found' }));
  app.use(answerErrors);
  return app;
}

describe('loadOnFirstUse', () => {
  it('when the first request arrives, then the door is loaded and answers it, and later ones directly', async () => {
    const d = door();
    const app = appWith(loadOnFirstUse(d.load));
    expect(d.loads()).toBe(0);

    const first = await request(app).get('/door/one').expect(200);
    const second = await request(app).get('/door/one').expect(200);

    expect(first.body).toEqual({ answered: 'one' });
    expect(second.body).toEqual(first.body);
    expect(d.loads()).toBe(1);
  });

  it('when requests arrive while it loads, then they all wait for the one load', async () => {
    const d = door();
    const app = appWith(loadOnFirstUse(d.load));

    const answers = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) => request(app).get(`/door/${name}`)),
    );

    expect(answers.map((res) => res.body as unknown)).toEqual(
      ['a', 'b', 'c', 'd'].map((name) => ({ answered: name })),
    );
    expect(d.loads()).toBe(1);
  });

  it('when a request is for a path outside `under`, then it goes on without loading the door', async () => {
    const d = door();
    const app = appWith(loadOnFirstUse(d.load, { under: ['/door'] }));

    await request(app).get('/elsewhere').expect(404, { answered: 'not found' });
    await request(app).get('/doorway').expect(404, { answered: 'not found' });
    await request(app).get('/Door').expect(404, { answered: 'not found' });
    expect(d.loads()).toBe(0);

    await request(app).get('/door').expect(200, { answered: 'door' });
    await request(app).get('/door/x').expect(200, { answered: 'x' });
    expect(d.loads()).toBe(1);
  });

  it('when mounted on a path, then the door sees the paths below it, as a router mounted there', async () => {
    const d = door();
    const app = appWith(loadOnFirstUse(d.load), '/mounted');

    await request(app).get('/mounted/door/y').expect(200, { answered: 'y' });
    await request(app).get('/door/y').expect(404);
  });

  it('when the load fails, then the request gets the app’s 500 without a stack trace, and the next request loads again', async () => {
    let attempts = 0;
    const d = door();
    const app = appWith(
      loadOnFirstUse(async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('Cannot find module ./chunk-GONE.js');
        return d.load();
      }),
    );

    const failed = await request(app).get('/door/z').expect(500);
    expect(failed.text).toBe('Something went wrong on our side.');
    expect(failed.text).not.toMatch(/chunk-GONE|\bat\b.*:\d+/);

    await request(app).get('/door/z').expect(200, { answered: 'z' });
    expect(attempts).toBe(2);
  });

  it('when the loaded door throws while it answers the first request, then the app’s error handler answers', async () => {
    const app = appWith(
      loadOnFirstUse(async () => () => {
        throw new Error('broken door');
      }),
    );

    await request(app).get('/anything').expect(500, 'Something went wrong on our side.');
  });
});
