import { z } from 'zod';
import { CODE_PATTERN } from '../links/link.js';
import { PROBLEMS, PROBLEM_TYPE_BASE, type ProblemKind } from './api-problems.js';
import {
  CreatedLinkSchema,
  CreateLinkSchema,
  LinkDetailSchema,
  LinkPageSchema,
  LinkSchema,
  LinkStatsQuerySchema,
  LinkStatsSchema,
  ListLinksQuerySchema,
  ProblemSchema,
  SiteStatsQuerySchema,
  SiteStatsSchema,
  StatsEntrySchema,
  TagListSchema,
  UpdateLinkSchema,
} from './api-schemas.js';
import {
  CreateDomainSchema,
  DomainListSchema,
  DomainSchema,
  EditDomainSchema,
} from './domain-schemas.js';

/**
 * The OpenAPI 3.1 document of `/api/v1`, built from the zod schemas that validate the requests
 * (zod 4's JSON Schema output is draft 2020-12, the dialect OpenAPI 3.1 uses). Built once.
 */

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

function problems(...kinds: ProblemKind[]) {
  return Object.fromEntries(
    kinds.map((kind) => [String(PROBLEMS[kind].status), problemResponse(PROBLEMS[kind].title)]),
  );
}

const codeParameter = {
  name: 'code',
  in: 'path',
  required: true,
  description: 'The short code (or alias).',
  schema: { type: 'string', pattern: CODE_PATTERN.source },
};

/** `?domain=host`: the domain of the code, for a code on an added domain (ADR 031). */
const domainParameter = {
  name: 'domain',
  in: 'query',
  required: false,
  description:
    "The host of the link's domain, in any spelling; omitted: the default domain. An unknown domain answers 404.",
  schema: { type: 'string' },
};

/** One query parameter per field of a query schema, each with its own JSON Schema. */
function queryParameters(query: z.ZodObject) {
  return Object.entries(query.shape).map(([name, field]) => {
    const { $schema: _dialect, ...schema } = z.toJSONSchema(field as z.ZodType, {
      io: 'input',
    }) as Record<string, unknown>;
    return { name, in: 'query', required: false, schema };
  });
}

function componentSchemas() {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries({
    CreateLink: CreateLinkSchema,
    UpdateLink: UpdateLinkSchema,
    Link: LinkSchema,
    CreatedLink: CreatedLinkSchema,
    LinkDetail: LinkDetailSchema,
    LinkPage: LinkPageSchema,
    LinkStats: LinkStatsSchema,
    SiteStats: SiteStatsSchema,
    StatsEntry: StatsEntrySchema,
    Problem: ProblemSchema,
    TagList: TagListSchema,
    CreateDomain: CreateDomainSchema,
    EditDomain: EditDomainSchema,
    Domain: DomainSchema,
    DomainList: DomainListSchema,
  })) {
    registry.add(schema as z.ZodType, { id });
  }
  const { schemas } = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    io: 'input',
  }) as { schemas: Record<string, Record<string, unknown>> };
  // Each component is embedded in the document: it needs neither its own dialect nor an $id.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]),
  );
}

const auth = [{ bearer: [] }, { apiKey: [] }];

function buildDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'snip API',
      version: '1.0.0',
      description:
        'Create, read, change and delete short links. Every route but link creation needs an API key (`npm run keys -- create NAME`). Errors are RFC 9457 problem documents.',
    },
    servers: [{ url: '/api/v1' }],
    security: auth,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <key>' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
      schemas: componentSchemas(),
    },
    paths: {
      '/links': {
        post: {
          operationId: 'createLink',
          summary: 'Shorten a URL',
          description:
            'Without a key while CREATE_ACCESS is public (at the anonymous rate limit), but never from another site’s page (403 cross-site). `Accept: text/plain` answers the bare short URL.',
          security: [...auth, {}],
          requestBody: { required: true, content: json(ref('CreateLink')) },
          responses: {
            '201': {
              description: 'Created',
              content: {
                ...json(ref('CreatedLink')),
                'text/plain': { schema: { type: 'string' } },
              },
            },
            '200': {
              description: 'An existing link reused (`reuse: true`)',
              content: json(ref('Link')),
            },
            ...problems(
              'invalid-request',
              'unauthorized',
              'cross-site',
              'alias-taken',
              'request-too-large',
              'unsupported-media-type',
              'refused',
              'rate-limited',
              'storage-unavailable',
            ),
          },
        },
        get: {
          operationId: 'listLinks',
          summary: 'List links, a page at a time',
          parameters: queryParameters(ListLinksQuerySchema),
          responses: {
            '200': { description: 'A page of links', content: json(ref('LinkPage')) },
            ...problems('invalid-request', 'unauthorized', 'forbidden', 'rate-limited'),
          },
        },
      },
      '/links/{code}/stats': {
        parameters: [codeParameter],
        get: {
          operationId: 'getLinkStats',
          summary:
            'A link’s visits and unique visitors over a range of UTC days, by day or by one dimension',
          parameters: queryParameters(LinkStatsQuerySchema),
          responses: {
            '200': { description: 'The statistics', content: json(ref('LinkStats')) },
            ...problems(
              'invalid-request',
              'unauthorized',
              'forbidden',
              'not-found',
              'rate-limited',
            ),
          },
        },
      },
      '/stats': {
        get: {
          operationId: 'getSiteStats',
          summary:
            'Every link’s visits and unique visitors over a range of UTC days, by day or by one dimension',
          description:
            'For keys of scope `full`. A visitor of several links on a day counts once. Without `from` and `to`, the last 30 days.',
          parameters: queryParameters(SiteStatsQuerySchema),
          responses: {
            '200': { description: 'The statistics', content: json(ref('SiteStats')) },
            ...problems('invalid-request', 'unauthorized', 'forbidden', 'rate-limited'),
          },
        },
      },
      '/links/{code}': {
        parameters: [codeParameter, domainParameter],
        get: {
          operationId: 'getLink',
          summary: 'A link with its statistics',
          responses: {
            '200': { description: 'The link', content: json(ref('LinkDetail')) },
            ...problems('unauthorized', 'forbidden', 'not-found', 'rate-limited'),
          },
        },
        patch: {
          operationId: 'updateLink',
          summary: "Change a link's target, options or tags",
          requestBody: { required: true, content: json(ref('UpdateLink')) },
          responses: {
            '200': { description: 'The changed link', content: json(ref('Link')) },
            ...problems(
              'invalid-request',
              'unauthorized',
              'forbidden',
              'not-found',
              'unsupported-media-type',
              'refused',
              'rate-limited',
              'storage-unavailable',
            ),
          },
        },
        delete: {
          operationId: 'deleteLink',
          summary: 'Delete a link; its code is never given out again',
          responses: {
            '204': { description: 'Deleted' },
            ...problems(
              'unauthorized',
              'forbidden',
              'not-found',
              'rate-limited',
              'storage-unavailable',
            ),
          },
        },
      },
      ...Object.fromEntries(
        (['disable', 'enable'] as const).map((action) => [
          `/links/{code}/${action}`,
          {
            parameters: [codeParameter, domainParameter],
            post: {
              operationId: `${action}Link`,
              summary:
                action === 'disable'
                  ? 'Disable a link (410 for visitors)'
                  : 'Enable a disabled link',
              responses: {
                '200': { description: 'The link', content: json(ref('Link')) },
                ...problems(
                  'unauthorized',
                  'forbidden',
                  'not-found',
                  'rate-limited',
                  'storage-unavailable',
                ),
              },
            },
          },
        ]),
      ),
      '/tags': {
        get: {
          operationId: 'listTags',
          summary: 'The tags links carry, with how many links and visits each has',
          responses: {
            '200': { description: 'Every tag in use, by name', content: json(ref('TagList')) },
            ...problems('unauthorized', 'forbidden', 'rate-limited'),
          },
        },
      },
      '/domains': {
        get: {
          operationId: 'listDomains',
          summary: 'The domains snip answers on: the default one (BASE_URL’s host) first',
          responses: {
            '200': { description: 'Every domain', content: json(ref('DomainList')) },
            ...problems('unauthorized', 'forbidden', 'rate-limited'),
          },
        },
        post: {
          operationId: 'addDomain',
          summary: 'Add a domain, with its own redirects or as an alias of another',
          requestBody: { required: true, content: json(ref('CreateDomain')) },
          responses: {
            '201': { description: 'Added', content: json(ref('Domain')) },
            ...problems(
              'invalid-request',
              'unauthorized',
              'forbidden',
              'domain-conflict',
              'unsupported-media-type',
              'domain-refused',
              'rate-limited',
              'storage-unavailable',
            ),
          },
        },
      },
      '/domains/{host}': {
        parameters: [
          {
            name: 'host',
            in: 'path',
            required: true,
            description: 'The domain’s host, in any spelling that canonicalises to it.',
            schema: { type: 'string' },
          },
        ],
        patch: {
          operationId: 'editDomain',
          summary:
            'Change an added domain’s redirects: one left out stays, null clears it (the host and aliasOf stay)',
          requestBody: { required: true, content: json(ref('EditDomain')) },
          responses: {
            '200': { description: 'Changed', content: json(ref('Domain')) },
            ...problems(
              'invalid-request',
              'unauthorized',
              'forbidden',
              'not-found',
              'domain-conflict',
              'unsupported-media-type',
              'domain-refused',
              'rate-limited',
              'storage-unavailable',
            ),
          },
        },
        delete: {
          operationId: 'deleteDomain',
          summary: 'Delete a domain (409 while another domain is an alias of it)',
          responses: {
            '204': { description: 'Deleted' },
            ...problems(
              'unauthorized',
              'forbidden',
              'not-found',
              'domain-conflict',
              'rate-limited',
              'storage-unavailable',
            ),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document',
          security: [{}],
          responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
        },
      },
      '/problems/{kind}': {
        get: {
          operationId: 'describeProblem',
          summary: "What a problem document's type means",
          security: [{}],
          parameters: [
            {
              name: 'kind',
              in: 'path',
              required: true,
              schema: { type: 'string', enum: Object.keys(PROBLEMS) },
            },
          ],
          responses: {
            '200': {
              description: 'The kind of error',
              content: json({
                type: 'object',
                properties: {
                  type: { type: 'string' },
                  title: { type: 'string' },
                  status: { type: 'integer' },
                },
              }),
            },
            ...problems('not-found'),
          },
        },
      },
    },
  };
}

let document: ReturnType<typeof buildDocument> | undefined;

export function openApiDocument(): ReturnType<typeof buildDocument> {
  document ??= buildDocument();
  return document;
}

/** `GET /api/v1/problems/:kind`: what `type` URIs of problem documents resolve to. */
export function describeProblem(
  kind: string,
): { type: string; title: string; status: number } | null {
  if (!Object.hasOwn(PROBLEMS, kind)) return null;
  const { title, status } = PROBLEMS[kind as ProblemKind];
  return { type: `${PROBLEM_TYPE_BASE}${kind}`, title, status };
}
