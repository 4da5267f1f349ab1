import type { Request, Response } from 'express';
import { SNIP_COOKIES } from '../http/cookies.js';
import { MANAGE_TOKEN_PATTERN } from './manage-token.js';

/**
 * The browser that made a link remembers its management token in an HttpOnly cookie, so the
 * home page can list "your links". Only the newest few are kept: the cookie stays small and
 * old tokens are forgotten rather than growing it forever.
 */
export const REMEMBERED_LINKS_COOKIE = SNIP_COOKIES.rememberedLinks.name;
export const MAX_REMEMBERED_LINKS = 20;
const MAX_AGE_MS = SNIP_COOKIES.rememberedLinks.maxAgeSeconds * 1000;

export function readRememberedTokens(req: Request): string[] {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return [];
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name !== REMEMBERED_LINKS_COOKIE) continue;
    const tokens = value
      .join('=')
      .split('.')
      .filter((token) => MANAGE_TOKEN_PATTERN.test(token));
    return [...new Set(tokens)].slice(0, MAX_REMEMBERED_LINKS);
  }
  return [];
}

export function writeRememberedTokens(res: Response, tokens: string[], secure: boolean): void {
  if (tokens.length === 0) {
    res.clearCookie(REMEMBERED_LINKS_COOKIE, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure,
    });
    return;
  }
  res.cookie(REMEMBERED_LINKS_COOKIE, tokens.slice(0, MAX_REMEMBERED_LINKS).join('.'), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure,
    maxAge: MAX_AGE_MS,
    // Tokens are base64url and the separator is '.', so the value needs no encoding.
    encode: (value) => value,
  });
}

export function rememberToken(req: Request, res: Response, token: string, secure: boolean): void {
  const others = readRememberedTokens(req).filter((t) => t !== token);
  writeRememberedTokens(res, [token, ...others], secure);
}

export function forgetToken(req: Request, res: Response, token: string, secure: boolean): void {
  const tokens = readRememberedTokens(req);
  if (tokens.includes(token))
    writeRememberedTokens(
      res,
      tokens.filter((t) => t !== token),
      secure,
    );
}
