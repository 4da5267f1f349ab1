import { Router, type Request } from 'express';
import {
  domainErrorInEnglish,
  linksOnDomainMessage,
  type DomainService,
  type DomainErrors,
} from '../domains/domain-service.js';
import { ApiProblem, type FieldError } from './api-problems.js';
import { CreateDomainSchema, EditDomainSchema } from './domain-schemas.js';
import {
  identifyCaller,
  parseOrThrow,
  readJsonBody,
  requireFullKey,
  type ApiDeps,
} from './api-routes.js';

function domainProblem(status: 409 | 422, errors: DomainErrors): ApiProblem {
  const fields: FieldError[] = Object.entries(errors).map(([field, detail]) => ({
    pointer: `/${field}`,
    detail: domainErrorInEnglish(detail!),
  }));
  return new ApiProblem(
    status === 409 ? 'domain-conflict' : 'domain-refused',
    fields[0]?.detail ?? 'The domain was refused.',
    fields,
  );
}

function defaultDomainProblem(host: string): ApiProblem {
  return new ApiProblem(
    'domain-conflict',
    `${host} is the default domain: BASE_URL sets it, it cannot be changed here.`,
  );
}

function unknownDomainProblem(host: string): ApiProblem {
  return new ApiProblem('not-found', `"${host}" is not an added domain.`);
}

/**
 * `/api/v1/domains`, for keys of scope `full` (a create-only key gets 403): list, add, edit the
 * redirects of and delete the domains snip answers on (ADR 028). Mounted before the rest of `/api/v1`.
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

  router.patch('/:host', ...readJsonBody, async (req: Request, res) => {
    const host = String(req.params.host);
    const body = parseOrThrow(EditDomainSchema, req.body ?? {}, 'body');
    const result = await deps.domains.editRedirects(host, body, deps.ownHosts(req));
    if (result.ok) {
      res.json((await deps.domains.list()).find((d) => d.host === result.domain.host)!);
      return;
    }
    if (result.reason === 'default') throw defaultDomainProblem(host);
    if (result.reason === 'unknown') throw unknownDomainProblem(host);
    throw domainProblem(422, result.errors);
  });

  router.delete('/:host', async (req, res) => {
    const host = String(req.params.host);
    const result = await deps.domains.remove(host);
    if (result.ok) {
      res.status(204).end();
      return;
    }
    if (result.reason === 'default') throw defaultDomainProblem(host);
    if (result.reason === 'unknown') throw unknownDomainProblem(host);
    if (result.reason === 'in_use') {
      throw new ApiProblem('domain-conflict', linksOnDomainMessage(host, result.links));
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
