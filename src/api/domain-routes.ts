import { Router, type Request } from 'express';
import { z } from 'zod';
import type { DomainService, DomainErrors } from '../domains/domain-service.js';
import { ApiProblem, type FieldError } from './api-problems.js';
import {
  identifyCaller,
  parseOrThrow,
  readJsonBody,
  requireFullKey,
  type ApiDeps,
} from './api-routes.js';

const RedirectSchema = z
  .string()
  .max(8192, { error: 'must be at most 8192 characters' })
  .nullable()
  .optional();

/** `POST /api/v1/domains`: only `host` is needed. */
export const CreateDomainSchema = z
  .strictObject({
    host: z.string().max(300, { error: 'must be at most 300 characters' }).meta({
      description:
        'The host name, e.g. go.example. Stored in its canonical form: lower case, without a trailing dot or a port, a Unicode name as punycode. An IP address, a URL or a name with an underscore or an empty label is refused (422).',
    }),
    rootRedirect: RedirectSchema.meta({
      description: 'Where `/` on this domain sends a visitor; snip’s home page without it.',
    }),
    notFoundRedirect: RedirectSchema.meta({
      description:
        'Where an unknown code on this domain sends a visitor; snip’s 404 page without it.',
    }),
    expiredRedirect: RedirectSchema.meta({
      description:
        'Where an expired, disabled, banned or deleted link on this domain sends a visitor; snip’s page for it without it.',
    }),
    aliasOf: z.string().max(300).nullable().optional().meta({
      description:
        'The host of the domain whose links this one answers too: the default domain or another added domain that is no alias itself. Redirects not set here fall back to that domain’s.',
    }),
  })
  .meta({ id: 'CreateDomain' });

const ListedDomainSchema = z.object({
  host: z.string(),
  isDefault: z
    .boolean()
    .meta({ description: 'BASE_URL’s host; listed first, and only with BASE_URL.' }),
  rootRedirect: z.string().nullable(),
  notFoundRedirect: z.string().nullable(),
  expiredRedirect: z.string().nullable(),
  aliasOf: z.string().nullable(),
});

export const DomainSchema = ListedDomainSchema.meta({ id: 'Domain' });
export const DomainListSchema = z
  .object({ data: z.array(ListedDomainSchema) })
  .meta({ id: 'DomainList' });

function domainProblem(status: 409 | 422, errors: DomainErrors): ApiProblem {
  const fields: FieldError[] = Object.entries(errors).map(([field, detail]) => ({
    pointer: `/${field}`,
    detail: detail!,
  }));
  return new ApiProblem(
    status === 409 ? 'domain-conflict' : 'domain-refused',
    fields[0]?.detail ?? 'The domain was refused.',
    fields,
  );
}

/**
 * `/api/v1/domains`, for keys of scope `full` (a create-only key gets 403): list, add and
 * delete the domains snip answers on (ADR 028). Mounted before the rest of `/api/v1`.
 */
export function createDomainApiRoutes(deps: ApiDeps & { domains: DomainService }): Router {
  const router = Router({ caseSensitive: true, strict: false });
  router.use(identifyCaller(deps));
  router.use((_req, res, next) => {
    requireFullKey(res);
    next();
  });

  router.get('/', async (_req, res) => {
    res.json({ data: await deps.domains.list() });
  });

  router.post('/', ...readJsonBody, async (req: Request, res) => {
    const body = parseOrThrow(CreateDomainSchema, req.body ?? {}, 'body');
    const result = await deps.domains.add(body, deps.ownHosts(req));
    if (!result.ok) throw domainProblem(result.status, result.errors);
    const listed = (await deps.domains.list()).find((d) => d.host === result.domain.host)!;
    res
      .status(201)
      .location(`${req.baseUrl}/${encodeURIComponent(listed.host)}`)
      .json(listed);
  });

  router.delete('/:host', async (req, res) => {
    const host = String(req.params.host);
    const result = await deps.domains.remove(host);
    if (result.ok) {
      res.status(204).end();
      return;
    }
    if (result.reason === 'default') {
      throw new ApiProblem(
        'domain-conflict',
        `${host} is the default domain: BASE_URL sets it, it cannot be deleted here.`,
      );
    }
    if (result.reason === 'unknown') {
      throw new ApiProblem('not-found', `"${host}" is not an added domain.`);
    }
    const n = result.aliases;
    throw new ApiProblem(
      'domain-conflict',
      `${n} ${n === 1 ? 'domain is an alias' : 'domains are aliases'} of ${host}: delete ${n === 1 ? 'it' : 'them'} first.`,
    );
  });

  router.use((req) => {
    throw new ApiProblem('not-found', `The API has no ${req.method} ${req.baseUrl}${req.path}.`);
  });
  return router;
}
