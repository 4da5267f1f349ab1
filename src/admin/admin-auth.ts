import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { WriteGate } from '../db/write-gate.js';
import { SNIP_COOKIES } from '../http/cookies.js';
import { hashSecret, secretMatches } from '../http/secret-hash.js';
import type { AdminSessionStore } from './admin-session-store.js';

export const ADMIN_COOKIE = SNIP_COOKIES.admin.name;
/** `last seen` is written at most this often: a busy admin page costs no write per request. */
const TOUCH_EVERY_MS = 60_000;

export type AdminAuth = ReturnType<typeof createAdminAuth>;

/**
 * The admin's one password (ADMIN_PASSWORD) and sessions that end after an idle time, after a
 * longest lifetime however busy they are, when the admin ends them all, and when the password
 * changes. The password is compared as a SHA-256 in constant time. A session id is 256 random
 * bits in a cookie that is HttpOnly, SameSite=Strict, limited to /admin, and Secure over HTTPS.
 *
 * What is stored of a session is HMAC-SHA-256(password, id): the password a session was made
 * with is part of the only key that finds it, so with another password no session made before
 * is ever found. The stored value gives nothing to guess the password from without the id,
 * which the database never holds.
 */
export function createAdminAuth(deps: {
  password: string;
  idleMs: number;
  /** The longest a session lasts however busy it is (ADMIN_SESSION_MAX). */
  maxMs: number;
  sessions: AdminSessionStore;
  write: WriteGate;
  now: () => number;
  /** Whether this request came over HTTPS: the cookie is then Secure. */
  secureCookies: (req: Request) => boolean;
}) {
  const passwordHash = hashSecret(deps.password);
  const storedHashOf = (id: string): Buffer =>
    createHmac('sha256', deps.password).update(id).digest();

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

  const cookieOptions = (req: Request) => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: deps.secureCookies(req),
    path: SNIP_COOKIES.admin.path,
  });

  return {
    passwordMatches(presented: string): boolean {
      return presented.length <= 1024 && secretMatches(presented, passwordHash);
    },

    /** Starts a session and sets its cookie. */
    async signIn(req: Request, res: Response): Promise<void> {
      const id = randomBytes(32).toString('base64url');
      const now = deps.now();
      await deps.write(() =>
        deps.sessions.deleteEndedSessions(now - deps.idleMs, now - deps.maxMs),
      );
      await deps.write(() => deps.sessions.insertSession(storedHashOf(id), now));
      res.cookie(ADMIN_COOKIE, id, cookieOptions(req));
    },

    /** Whether the request carries a live session; a live one is kept alive. */
    async isSignedIn(req: Request): Promise<boolean> {
      const id = sessionIdOf(req);
      if (id === null) return false;
      const hash = storedHashOf(id);
      const session = await deps.sessions.findSession(hash);
      const now = deps.now();
      // Found through an index; compared again in constant time, as secretMatches does.
      if (!session || session.idHash.length !== hash.length) return false;
      if (!timingSafeEqual(hash, session.idHash)) return false;
      if (now - session.lastSeen >= deps.idleMs) return false;
      if (now - session.created >= deps.maxMs) return false;
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
      if (id !== null) await deps.write(() => deps.sessions.deleteSession(storedHashOf(id)));
      res.clearCookie(ADMIN_COOKIE, cookieOptions(req));
    },

    /** Ends every admin session on every machine, this request's too. */
    async endAllSessions(req: Request, res: Response): Promise<void> {
      await deps.write(() => deps.sessions.deleteAllSessions());
      res.clearCookie(ADMIN_COOKIE, cookieOptions(req));
    },
  };
}
