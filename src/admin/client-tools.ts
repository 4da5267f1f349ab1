import { Router, type Request } from 'express';

/** What the user replaces with a key of their own: a download never carries a real key. */
export const KEY_PLACEHOLDER = 'PASTE_YOUR_SNIP_API_KEY_HERE';

/** Where the API keys page offers the ShareX file. */
export const SHAREX_FILE_PATH = '/keys/snip.sxcu';

/**
 * A ShareX custom uploader (`.sxcu`) for its "URL shortener" destination, calling snip's own
 * `POST /api/v1/links` the way ShareX sends it: the body is `Data` with `{input}` replaced by the
 * URL, JSON-escaped, sent as `application/json`; the short URL is the answer's `shortUrl`, and a
 * refusal shows the problem's `detail`. `Version` names a ShareX release whose syntax (`{input}`,
 * `{json:…}`) this is; older files are converted on import, newer readers keep it.
 */
export function shareXUploader(origin: string): Record<string, unknown> {
  return {
    Version: '15.0.0',
    Name: `snip (${new URL(origin).host})`,
    DestinationType: 'URLShortener',
    RequestMethod: 'POST',
    RequestURL: `${origin}/api/v1/links`,
    Headers: { Authorization: `Bearer ${KEY_PLACEHOLDER}` },
    Body: 'JSON',
    Data: '{"url":"{input}"}',
    URL: '{json:shortUrl}',
    ErrorMessage: '{json:detail}',
  };
}

/** What the API keys page says about other tools (views/admin/client-tools.ejs). */
export type ClientTools = {
  /** snip's create call, as tools call it. */
  createUrl: string;
  /** The ShareX file's address. */
  shareXFile: string;
  keyPlaceholder: string;
};

/**
 * The ShareX download, and the locals of the API keys page's "Use a key in other tools" (every
 * page under /admin/keys renders with `clientTools`). Mounted behind the admin's sign-in.
 */
export function createClientToolRoutes(deps: { publicOrigin: (req: Request) => string }): Router {
  const router = Router({ caseSensitive: true });

  router.use('/keys', (req, res, next) => {
    res.locals.clientTools = {
      createUrl: `${deps.publicOrigin(req)}/api/v1/links`,
      shareXFile: `/admin${SHAREX_FILE_PATH}`,
      keyPlaceholder: KEY_PLACEHOLDER,
    } satisfies ClientTools;
    next();
  });

  router.get(SHAREX_FILE_PATH, (req, res) => {
    const origin = deps.publicOrigin(req);
    const body = `${JSON.stringify(shareXUploader(origin), null, 2)}\n`;
    res
      .attachment(`${new URL(origin).hostname}.sxcu`)
      .type('application/json; charset=utf-8')
      .send(body);
  });

  return router;
}
