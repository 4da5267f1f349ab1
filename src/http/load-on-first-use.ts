import type { RequestHandler } from 'express';

/**
 * A door (a router, or any handler) whose code is loaded on the first request that needs it, and
 * then called directly: the parts of snip most requests never reach — the admin with import and
 * export, the compatible APIs, the API reference — cost nothing at start (ADR 043).
 *
 * How to use (in src/app.ts):
 *
 *   app.use('/admin', loadOnFirstUse(async () => {
 *     const { createAdminRoutes } = await import('./admin/admin-routes.js');
 *     return createAdminRoutes(deps);
 *   }));
 *   // A router mounted without a path, that routes full paths: loaded only for those under /rest.
 *   app.use(loadOnFirstUse(loadShlink, { under: ['/rest'] }));
 *
 * `under`: for a door mounted without a path, the paths it answers (each itself and what is
 * below it; case-sensitive, as snip's routing is); another request goes on without loading it.
 * Requests that arrive while it loads wait for the same load. A failed load is the request's
 * error — the app's error handler answers it, as any other 500 — and the next request tries again.
 */
export function loadOnFirstUse(
  load: () => Promise<RequestHandler>,
  options: { under?: readonly string[] } = {},
): RequestHandler {
  const { under } = options;
  const concerns = (path: string): boolean =>
    under === undefined || under.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  let door: RequestHandler | null = null;
  let loading: Promise<RequestHandler> | null = null;
  return (req, res, next) => {
    if (door !== null) return door(req, res, next);
    if (!concerns(req.path)) return next();
    loading ??= load().then(
      (loaded) => (door = loaded),
      (error: unknown) => {
        loading = null;
        throw error;
      },
    );
    loading.then((loaded) => {
      try {
        void loaded(req, res, next);
      } catch (error) {
        next(error);
      }
    }, next);
  };
}
