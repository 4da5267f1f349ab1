import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  DESKTOP_LIGHT,
  MOBILE_DARK,
  describeInBrowser,
  expectNoViolations,
  launchChromium,
  startSnip,
  submitAndFollow,
  watchForProblems,
  type SnipServer,
} from './browser-harness.js';

/**
 * The API reference (/api/docs, ADR 038) in a real browser: Swagger UI, served by snip, draws
 * every operation, every schema and both ways to send a key from /api/v1/openapi.json; Try it out
 * calls the API on the same origin. Nothing is loaded from another origin, the console shows no
 * Content-Security-Policy violation, and axe-core finds no violation, closed, opened and in the
 * authorisation dialog. The admin's API keys page links to it.
 */

const PASSWORD = 'correct horse battery staple';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type OpenApi = {
  paths: Record<string, Record<string, { operationId: string; summary: string } | unknown[]>>;
  components: { schemas: Record<string, unknown> };
};

let server: SnipServer;
let browser: Browser;
let document: OpenApi;

beforeAll(async () => {
  server = await startSnip({ ADMIN_PASSWORD: PASSWORD });
  browser = await launchChromium();
  document = (await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json()) as OpenApi;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

type Watched = {
  context: BrowserContext;
  page: Page;
  /** Console errors (Chromium reports CSP violations there) and uncaught exceptions. */
  problems: string[];
  /** What the page's own securitypolicyviolation events reported. */
  violations: () => Promise<string[]>;
  /** Every URL the browser asked for. */
  requested: string[];
};

async function openReference(options: BrowserContextOptions): Promise<Watched> {
  const context = await browser.newContext({ ...options, baseURL: server.baseUrl });
  const problems = watchForProblems(context);
  const requested: string[] = [];
  context.on('request', (req) => requested.push(req.url()));
  // Injected through the DevTools protocol, which the page's CSP does not govern.
  await context.addInitScript(`
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
    });
  `);
  const page = await context.newPage();
  const response = await page.goto('/api/docs');
  expect(response?.status()).toBe(200);
  await page.waitForSelector('#api-reference .opblock');
  return {
    context,
    page,
    problems,
    requested,
    violations: () => page.evaluate('window.__cspViolations') as Promise<string[]>,
  };
}

/** Nothing reached another origin, nothing was refused, nothing went wrong. */
async function expectClean(watched: Watched): Promise<void> {
  expect(watched.requested.filter((url) => new URL(url).origin !== server.baseUrl)).toEqual([]);
  expect(await watched.violations()).toEqual([]);
  expect(watched.problems).toEqual([]);
}

describeInBrowser('the API reference', () => {
  it('draws every operation of the document, with its method, path and summary', async () => {
    const watched = await openReference(DESKTOP_LIGHT);
    const { page } = watched;
    const operations = Object.entries(document.paths).flatMap(([route, methods]) =>
      Object.entries(methods)
        // Path-level `parameters` are shared by the path's operations, not one of them.
        .filter(([key]) => HTTP_METHODS.includes(key))
        .map(([method, op]) => ({
          route,
          method,
          ...(op as { operationId: string; summary: string }),
        })),
    );
    expect(operations.length).toBe(16);
    expect(await page.locator('.opblock').count()).toBe(operations.length);
    for (const op of operations) {
      const block = page.locator(`#operations-default-${op.operationId}`);
      await expect(block.locator('.opblock-summary-method').innerText()).resolves.toBe(
        op.method.toUpperCase(),
      );
      await expect(block.locator('.opblock-summary-path').getAttribute('data-path')).resolves.toBe(
        op.route,
      );
      await expect(block.locator('.opblock-summary-description').innerText()).resolves.toBe(
        op.summary,
      );
    }
    // A few that anyone reading the reference comes for.
    await expect(
      page.locator('#operations-default-createLink .opblock-summary-path').innerText(),
    ).resolves.toBe('/links');
    await expect(
      page.locator('#operations-default-deleteLink .opblock-summary-method').innerText(),
    ).resolves.toBe('DELETE');
    await expect(page.locator('.info .title').innerText()).resolves.toContain('snip API');
    await expectNoViolations(page, true);
    await expectClean(watched);
    await watched.context.close();
  });

  it('draws every schema, and what a link is made of', async () => {
    const watched = await openReference(DESKTOP_LIGHT);
    const { page } = watched;
    const names = Object.keys(document.components.schemas);
    expect(names).toEqual(expect.arrayContaining(['CreateLink', 'Link', 'Problem', 'Domain']));
    const drawn = await page
      .locator('section.models article[data-json-schema-level="0"] .json-schema-2020-12__title')
      .allInnerTexts();
    expect(drawn.map((name) => name.trim()).sort()).toEqual([...names].sort());
    // Opening the request body of "Shorten a URL" shows CreateLink's fields.
    await page.click('#operations-default-createLink .opblock-summary-control');
    const body = page.locator('#operations-default-createLink .opblock-section-request-body');
    await body.locator('button', { hasText: 'Schema' }).click();
    await expect(body.innerText()).resolves.toMatch(/CreateLink[\s\S]*\nurl[\s\S]*\nalias/);
    // Every field of Link, opened all the way down in the Schemas section.
    const link = page.locator('section.models article[data-json-schema-level="0"]', {
      has: page.locator('.json-schema-2020-12__title', { hasText: /^Link$/ }),
    });
    await link.locator('.json-schema-2020-12-expand-deep-button').first().click();
    await expect(link.innerText()).resolves.toMatch(/\nshortUrl[\s\S]*\nforwardQuery/);
    // And a path parameter of "getLink".
    await page.click('#operations-default-getLink .opblock-summary-control');
    await page.waitForSelector('#operations-default-getLink tr[data-param-name="code"]');
    await expectNoViolations(page, true);
    await expectClean(watched);
    await watched.context.close();
  });

  it('shows both ways to send a key, and Try it out calls the API on snip itself', async () => {
    const watched = await openReference(DESKTOP_LIGHT);
    const { page } = watched;
    await page.click('.auth-wrapper .btn.authorize');
    const dialog = page.locator('.dialog-ux .modal-ux-content');
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).toMatch(/bearer\s*\(http, Bearer\)/);
    expect(text).toMatch(/apiKey\s*\(apiKey\)/);
    expect(text).toContain('X-Api-Key');
    await expectNoViolations(page, true);
    await page.click('.dialog-ux .close-modal');

    const op = page.locator('#operations-default-describeProblem');
    await op.locator('.opblock-summary-control').click();
    await op.locator('.try-out__btn').click();
    await op.locator('tr[data-param-name="kind"] select').selectOption('not-found');
    await op.locator('.btn.execute').click();
    await op.locator('.live-responses-table .response-col_status').first().waitFor();
    await expect(op.locator('.request-url pre').innerText()).resolves.toBe(
      `${server.baseUrl}/api/v1/problems/not-found`,
    );
    await expect(op.locator('.live-responses-table').innerText()).resolves.toContain('200');
    expect(watched.requested).toContain(`${server.baseUrl}/api/v1/problems/not-found`);
    await expectNoViolations(page, true);
    await expectClean(watched);
    await watched.context.close();
  });

  it('fits a phone, with no violation', async () => {
    const watched = await openReference(MOBILE_DARK);
    const overflow = await watched.page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await expectNoViolations(watched.page, true);
    await expectClean(watched);
    await watched.context.close();
  });

  it('without JavaScript, points to the document', async () => {
    const context = await browser.newContext({
      ...DESKTOP_LIGHT,
      baseURL: server.baseUrl,
      javaScriptEnabled: false,
    });
    const page = await context.newPage();
    await page.goto('/api/docs');
    const link = page.locator('#api-reference a', { hasText: 'OpenAPI document' });
    await expect(link.getAttribute('href')).resolves.toBe('/api/v1/openapi.json');
    await context.close();
  });

  it('is linked from the admin’s API keys page', async () => {
    const context = await browser.newContext({ ...DESKTOP_LIGHT, baseURL: server.baseUrl });
    const problems = watchForProblems(context);
    const page = await context.newPage();
    await page.goto('/admin');
    await page.fill('#password', PASSWORD);
    await submitAndFollow(page, 'form[action="/admin/sign-in"] button[type=submit]');
    await page.goto('/admin/keys');
    await submitAndFollow(page, 'a[href="/api/docs"]');
    expect(new URL(page.url()).pathname).toBe('/api/docs');
    await page.waitForSelector('#api-reference .opblock');
    expect(problems).toEqual([]);
    await context.close();
  });
});
