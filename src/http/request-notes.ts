import type { Response } from 'express';
import { storageUnavailableCode, type StorageUnavailableCode } from '../db/storage-unavailable.js';

/**
 * What a handler tells the request log and the request metrics (src/metrics/request-metrics.ts)
 * about its answer, beyond what the response itself shows. Kept on `res.locals`, Express's
 * place for a request's own values.
 */
declare module 'express-serve-static-core' {
  interface Locals {
    /**
     * A name for answers no Express route pattern describes well: the 404 page (whichever route
     * passed the request on), and redirects, which the redirect responder counts itself.
     */
    routeName?: 'not_found' | 'redirect';
    /** Set with a 503 because storage was unavailable: which kind. */
    storageUnavailable?: StorageUnavailableCode;
    /** `debug` for a request whose log line would only be noise at `info` (a metrics scrape). */
    logLevel?: 'debug';
  }
}

/**
 * Called where an error becomes a 503 because storage is unavailable (each error handler):
 * notes which kind, for snip_storage_unavailable_total.
 */
export function noteStorageUnavailable(res: Response, error: unknown): void {
  const code = storageUnavailableCode(error);
  if (code !== null) res.locals.storageUnavailable = code;
}
