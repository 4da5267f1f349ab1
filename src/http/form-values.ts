import type { Request, RequestHandler } from 'express';
import { HttpError } from './http-error.js';
import { text } from '../i18n/catalog.js';

/** What a form answers when a program posts JSON or a file upload to it instead of form fields. */
export const FORM_ONLY = text('http.formOnly');

/** Whether the form routes can read the request: a form submission, or a body without a type. */
export function isFormPost(req: Request): boolean {
  // An untyped body is never parsed, so it reads as an empty form and gets the form's messages.
  if (req.headers['content-type'] === undefined) return true;
  return req.is('application/x-www-form-urlencoded') !== false;
}

/**
 * Refuses a post whose body is not a form (JSON, a file upload, multipart that cannot be read)
 * with 415, for forms that have no page of their own to say it on: otherwise such a body reads as
 * an empty form, and the answer blames fields the client never saw. `paths` (inside the router)
 * take uploads and are left to themselves.
 */
export function requireFormBody(uploadPaths: readonly string[] = []): RequestHandler {
  return (req, _res, next) => {
    if (isFormPost(req) || uploadPaths.includes(req.path)) return next();
    next(new HttpError(415, FORM_ONLY));
  };
}

/** The submitted values to put back into a form; anything that is not a single string is dropped. */
export function stringFields(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) return {};
  return Object.fromEntries(
    Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
