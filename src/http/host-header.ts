import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';
import { text } from '../i18n/catalog.js';

/** A host name (253) and a port (":65535"): no real Host header is longer. */
const MAX_HOST_HEADER = 259;

/**
 * Refuses a Host (or trusted X-Forwarded-Host) that cannot be a host name. Without BASE_URL the
 * host ends up in printed short links and QR codes; a 2 KB Host would not even fit a QR code.
 */
export const refuseOversizedHost: RequestHandler = (req, _res, next) => {
  const host = req.host;
  if (host !== undefined && host.length > MAX_HOST_HEADER) {
    next(new HttpError(400, text('http.hostTooLong')));
    return;
  }
  next();
};
