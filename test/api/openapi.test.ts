import { Validator } from '@seriousme/openapi-schema-validator';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiRoutes, type ApiDeps } from '../../src/api/api-routes.js';
import { createDomainApiRoutes } from '../../src/api/domain-routes.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.db.close());

type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> } };

/** Every method and path the API router answers, in OpenAPI's spelling (`{code}`). */
function answeredRoutes(): string[] {
  // `/domains` is a router of its own, mounted at /api/v1/domains.
  return [
    ...routesOf(createApiRoutes({} as ApiDeps), ''),
    ...routesOf(
      createDomainApiRoutes({} as Parameters<typeof createDomainApiRoutes>[0]),
      '/domains',
    ),
  ];
}

function routesOf(created: unknown, prefix: string): string[] {
  const router = created as { stack: Layer[] };
  return router.stack.flatMap((layer) => {
    if (!layer.route) return [];
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    return paths.flatMap((path) =>
      Object.keys(layer.route!.methods).map(
        (method) =>
          `${method.toUpperCase()} ${`${prefix}${path}`.replace(/\/$/, '').replace(/:(\w+)/g, '{$1}')}`,
      ),
    );
  });
}

function documentedRoutes(): string[] {
  const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => ['get', 'post', 'patch', 'delete', 'put'].includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe('the OpenAPI document', () => {
  it('when it is validated against the OpenAPI 3.1 schema, then it is valid', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(openApiDocument()));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('when the routes are compared, then every route the API answers is documented and every documented route is answered', () => {
    const answered = answeredRoutes();
    expect(answered.length).toBeGreaterThanOrEqual(8);
    expect(documentedRoutes().sort()).toEqual(answered.sort());
  });

  it('when a client fetches it, then it is served at /api/v1/openapi.json and describes the bodies with the request schemas', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/api/v1/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const create = res.body.components.schemas.CreateLink;
    expect(create.required).toEqual(['url']);
    expect(create.additionalProperties).toBe(false);
    expect(Object.keys(create.properties)).toEqual([
      'url',
      'alias',
      'redirectType',
      'expiresAt',
      'maxVisits',
      'forwardQuery',
      'title',
      'note',
      'rules',
      'startsAt',
      'crawlable',
      'tags',
      'reuse',
      'password',
      'domain',
    ]);
    const list = res.body.paths['/links'].get.parameters.map((p: { name: string }) => p.name);
    expect(list).toEqual([
      'page',
      'perPage',
      'search',
      'state',
      'orderBy',
      'direction',
      'tag',
      'tagMode',
      'excludeTag',
      'domain',
    ]);
    expect(res.body.paths['/tags'].get.responses['200']).toBeDefined();
    expect(res.body.components.schemas.Link.properties.tags).toMatchObject({ type: 'array' });
    const domain = res.body.components.schemas.CreateDomain;
    expect(domain.required).toEqual(['host']);
    expect(domain.additionalProperties).toBe(false);
    expect(Object.keys(domain.properties)).toEqual([
      'host',
      'rootRedirect',
      'notFoundRedirect',
      'expiredRedirect',
      'aliasOf',
    ]);
    expect(res.body.paths['/domains'].get.responses['200'].content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/DomainList' } },
    });
    expect(res.body.paths['/domains/{host}'].delete.responses['409']).toBeDefined();
  });

  it('when a client reads the limits, then the document states the latest expiry and the largest visit limit every door takes', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/api/v1/openapi.json').expect(200);
    const create = res.body.components.schemas.CreateLink;
    expect(create.properties.expiresAt.description).toContain('9999-12-31');
    expect(create.properties.maxVisits.maximum).toBe(1_000_000_000);
    const link = res.body.components.schemas.Link;
    expect(link.properties.expiresAt.description).toContain('9999-12-31T23:59:59.999Z');
  });
});

describe('the OpenAPI document on passwords', () => {
  it('when a client reads it, then password is write-only on creation and update, and links answer hasPassword', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/api/v1/openapi.json').expect(200);
    const { CreateLink, UpdateLink, Link } = res.body.components.schemas;
    expect(CreateLink.properties.password).toMatchObject({ type: 'string', writeOnly: true });
    expect(CreateLink.properties.password.description).toContain('1024');
    expect(JSON.stringify(UpdateLink.properties.password)).toContain('null');
    expect(Link.properties.hasPassword).toMatchObject({ type: 'boolean' });
    expect(Link.required).toContain('hasPassword');
    expect(Link.properties).not.toHaveProperty('password');
  });
});
