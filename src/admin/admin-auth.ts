import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { WriteGate } from '../db/write-gate.js';
import { hashSecret, secretMatches } from '../http/secret-hash.js';
import type { AdminSessionStore } from '../db/store.js';

export const ADMIN_COOKIE = 'snip_admin';
/** `last seen` is written at most this often: a busy admin page costs no write per request. */
const TOUCH_EVERY_MS = 60_000;

export type AdminAuth = ReturnType<typeof createAdminAuth>;

/**
 * The admin's one password (ADMIN_PASSWORD) and sessions that end after an idle time. The
 * password is compared as a SHA-256 in constant time; a session id is 256 random bits whose
 * hash alone is stored, in a cookie that is HttpOnly, SameSite=Strict, limited to /admin, and
 * Secure behind HTTPS.
 */
export function createAdminAuth(deps: {
  password: string;
  idleMs: number;
  sessions: AdminSessionStore;
  write: WriteGate;
  now: () => number;
  secureCookies: boolean;
}) {
  const passwordHash = hashSecret(deps.password);

  function sessionIdOf(req: Request): string | null {
    const header = req.headers.cookie ?? '';
    for (const part of header.split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === ADMIN_COOKIE) {
        const id = value.join('=');
        return /^[A-Za-z0-9_-]{43}$/.test(id) ? id : null;
      }
    }
    return null;
  }

  const cookieOptions = {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: deps.secureCookies,
    path: '/admin',
  };

  return {
    passwordMatches(presented: string): boolean {
      return presented.length <= 1024 && secretMatches(presented, passwordHash);
    },

    /** Starts a session and sets its cookie. */
    async signIn(res: Response): Promise<void> {
      const id = randomBytes(32).toString('base64url');
      const now = deps.now();
      await deps.write(() => deps.sessions.deleteSessionsIdleSince(now - deps.idleMs));
      await deps.write(() => deps.sessions.insertSession(hashSecret(id), now));
      res.cookie(ADMIN_COOKIE, id, cookieOptions);
    },

    /** Whether the request carries a live session; a live one is kept alive. */
    async isSignedIn(req: Request): Promise<boolean> {
      const id = sessionIdOf(req);
      if (id === null) return false;
      const hash = hashSecret(id);
      const session = await deps.sessions.findSession(hash);
      const now = deps.now();
      if (!session || !secretMatches(id, session.idHash)) return false;
      if (now - session.lastSeen >= deps.idleMs) return false;
      if (now - session.lastSeen >= TOUCH_EVERY_MS) {
        try {
          await deps.write(() => deps.sessions.touchSession(hash, now));
        } catch {
          // Bookkeeping: a busy database must not sign the admin out.
        }
      }
      return true;
    },

    async signOut(req: Request, res: Response): Promise<void> {
      const id = sessionIdOf(req);
      if (id !== null) await deps.write(() => deps.sessions.deleteSession(hashSecret(id)));
      res.clearCookie(ADMIN_COOKIE, cookieOptions);
    },
  };
}
