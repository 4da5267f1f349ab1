import { expect, it } from 'vitest';
import { describeStoreContract } from '../support/store-contract.js';

// The AdminSessionStore contract, through the interface only: the same expectations on every engine.

/** 2026-06-15 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 15, 12);

const [one, two, three] = [1, 2, 3].map((n) => Buffer.alloc(32, n)) as [Buffer, Buffer, Buffer];

describeStoreContract('AdminSessionStore', (open) => {
  it('inserts a session and finds it by the hash of its id', async () => {
    const s = await open();
    await s.sessions.insertSession(one, NOW);
    await s.sessions.insertSession(two, NOW + 10);
    expect(await s.sessions.findSession(one)).toEqual({ idHash: one, created: NOW, lastSeen: NOW });
    expect(await s.sessions.findSession(two)).toEqual({
      idHash: two,
      created: NOW + 10,
      lastSeen: NOW + 10,
    });
    expect(await s.sessions.findSession(three)).toBeNull();
  });

  it('touches a session: it was last seen now, and made when it was made', async () => {
    const s = await open();
    await s.sessions.insertSession(one, NOW);
    await s.sessions.touchSession(one, NOW + 20);
    expect(await s.sessions.findSession(one)).toEqual({
      idHash: one,
      created: NOW,
      lastSeen: NOW + 20,
    });
    // Touching a session that does not exist makes none.
    await s.sessions.touchSession(two, NOW + 20);
    expect(await s.sessions.findSession(two)).toBeNull();
  });

  it('ends one session, and leaves the others', async () => {
    const s = await open();
    await s.sessions.insertSession(one, NOW);
    await s.sessions.insertSession(two, NOW);
    await s.sessions.deleteSession(one);
    expect(await s.sessions.findSession(one)).toBeNull();
    expect(await s.sessions.findSession(two)).toMatchObject({ created: NOW });
    await s.sessions.deleteSession(three);
    expect(await s.sessions.findSession(two)).not.toBeNull();
  });

  it('ends the sessions idle too long, and those made too long ago however busy', async () => {
    const s = await open();
    await s.sessions.insertSession(one, NOW);
    await s.sessions.insertSession(two, NOW + 10);
    await s.sessions.insertSession(three, NOW + 20);
    await s.sessions.touchSession(one, NOW + 100);
    // Idle since before NOW + 15: two; one and three were seen since.
    await s.sessions.deleteEndedSessions(NOW + 15, NOW - 1);
    expect(await s.sessions.findSession(two)).toBeNull();
    expect(await s.sessions.findSession(one)).toMatchObject({ lastSeen: NOW + 100 });
    // Made before NOW + 5: one, however recently it was seen.
    await s.sessions.deleteEndedSessions(NOW, NOW + 5);
    expect(await s.sessions.findSession(one)).toBeNull();
    expect(await s.sessions.findSession(three)).toMatchObject({ created: NOW + 20 });
  });

  it('ends every session at once and says how many there were', async () => {
    const s = await open();
    await s.sessions.insertSession(one, NOW);
    await s.sessions.insertSession(two, NOW + 10);
    expect(await s.sessions.deleteAllSessions()).toBe(2);
    expect(await s.sessions.findSession(one)).toBeNull();
    expect(await s.sessions.findSession(two)).toBeNull();
    expect(await s.sessions.deleteAllSessions()).toBe(0);
  });
});
