import type { Browser, BrowserContextOptions, Cookie, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { screenshotFile } from './screenshots.js';
import {
  DESKTOP_LIGHT,
  MOBILE_DARK,
  describeInBrowser,
  launchChromium,
  runAxe,
  startSnip,
  steadyForScreenshot,
  watchForProblems,
  type AxeSummary,
  type SnipServer,
} from './browser-harness.js';

// Every page a visitor can reach from the form, checked with axe-core in two looks and
// photographed for the README. Screenshots must not change from run to run, so the short links
// use a fixed BASE_URL and alias, and the error page a fixed request id.

const BASE_URL = 'https://snip.example';
const ALIAS = 'launch-notes';
const TARGET =
  'https://example.com/blog/2026/11/a-long-article-about-keeping-links-short?ref=newsletter';
const REQUEST_ID = 'a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

type PageCase = {
  name: string;
  status: number;
  open: (page: Page) => Promise<Response | null>;
  /** What else must hold on this page, in every look. */
  check?: (page: Page) => Promise<void>;
};

const MODES: { name: string; options: BrowserContextOptions }[] = [
  { name: 'desktop-light', options: DESKTOP_LIGHT },
  { name: 'mobile-dark', options: MOBILE_DARK },
];

let server: SnipServer;
let browser: Browser;
let resultPath = '';
let managePath = '';
const GONE_ALIAS = 'old-offer';
const report: string[] = [];
/** The cookie of the browser that made the links: the home page lists them as "Your links". */
let linksCookie: Cookie[] = [];

/**
 * Every link in "Your links" shows its visits and its Manage link inside the screen, and the
 * list itself never needs scrolling sideways (on a phone, 390 px, as on a desktop).
 */
async function expectLinkListFits(page: Page): Promise<void> {
  const width = page.viewportSize()!.width;
  const items = page.locator('.link-list__item');
  expect(await items.count()).toBe(2);
  for (const selector of ['.link-list__visits', '.link-list__meta a', '.link-list__target']) {
    for (const box of await Promise.all(
      (await page.locator(selector).all()).map((el) => el.boundingBox()),
    )) {
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(width);
    }
  }
  const overflow = await page.evaluate(
    `(() => { const el = document.querySelector('.your-links'); return el.scrollWidth - el.clientWidth; })()`,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

async function submitForm(page: Page, fields: Record<string, string>): Promise<Response> {
  await page.goto('/');
  for (const [name, value] of Object.entries(fields)) {
    // Optional fields sit behind the "More options" disclosure.
    if (!(await page.locator(`#${name}`).isVisible())) await page.click('summary');
    await page.fill(`#${name}`, value);
  }
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/shorten')),
    // The page that answers the post (303 → the link's page, or 422 at /shorten) has loaded.
    page.waitForURL((url) => url.pathname !== '/'),
    page.click('button[type=submit]'),
  ]);
  return response;
}

const PAGES: PageCase[] = [
  { name: 'home', status: 200, open: (page) => page.goto('/') },
  {
    name: 'your-links',
    status: 200,
    open: async (page) => {
      await page.context().addCookies(linksCookie);
      return page.goto('/');
    },
    check: expectLinkListFits,
  },
  {
    name: 'home-error',
    status: 422,
    open: (page) => submitForm(page, { url: 'javascript:alert(1)' }),
  },
  { name: 'result', status: 200, open: (page) => page.goto(resultPath) },
  { name: 'manage', status: 200, open: (page) => page.goto(`${managePath}?days=30`) },
  { name: 'manage-delete', status: 200, open: (page) => page.goto(`${managePath}/delete`) },
  { name: 'preview', status: 200, open: (page) => page.goto(`/${ALIAS}+`) },
  { name: 'gone', status: 410, open: (page) => page.goto(`/${GONE_ALIAS}`) },
  { name: 'not-found', status: 404, open: (page) => page.goto('/no-such-link') },
  { name: 'privacy', status: 200, open: (page) => page.goto('/privacy') },
  // Malformed percent-encoding: the one error page a visitor can reach on purpose.
  { name: 'error', status: 400, open: (page) => page.goto('/%E0%A4%A') },
];

describeInBrowser('every page, checked with axe-core and photographed', () => {
  beforeAll(async () => {
    server = await startSnip({ BASE_URL });
    browser = await launchChromium();
    // The link whose result page is checked: made once, through the form, like a visitor would.
    const context = await browser.newContext({ baseURL: server.baseUrl });
    const page = await context.newPage();
    const created = await submitForm(page, { url: TARGET, alias: ALIAS });
    expect(created.status()).toBe(303);
    resultPath = new URL(page.url()).pathname + new URL(page.url()).search;
    managePath = new URL(page.url()).pathname;
    // A few visits so the management page has a chart and referrers to show.
    for (const referer of ['https://news.example/', 'https://news.example/x', '']) {
      await fetch(`${server.baseUrl}/${ALIAS}`, {
        redirect: 'manual',
        headers: {
          'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
          ...(referer ? { Referer: referer } : {}),
        },
      });
    }
    // A link its owner disabled: the 410 page.
    await submitForm(page, { url: `${TARGET}#old`, alias: GONE_ALIAS });
    await Promise.all([
      page.waitForURL((url) => url.search.includes('done=')),
      page.click('form[action$="/disable"] button'),
    ]);
    linksCookie = await context.cookies();
    await context.close();
    // Visits reach the database within a second.
    await new Promise((resolve) => setTimeout(resolve, 1200));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (report.length > 0) {
      console.log(
        ['axe-core rules run per page (WCAG 2.0/2.1/2.2 A and AA):', ...report].join('\n'),
      );
    }
  });

  for (const mode of MODES) {
    for (const pageCase of PAGES) {
      it(`when the ${pageCase.name} page is shown (${mode.name}), then axe finds no violation, the console stays clean and a screenshot is written`, async () => {
        const context = await browser.newContext({
          ...mode.options,
          baseURL: server.baseUrl,
          extraHTTPHeaders: { 'X-Request-Id': REQUEST_ID },
        });
        const problems = watchForProblems(context);
        try {
          const page = await context.newPage();
          const response = await pageCase.open(page);
          expect(response?.status()).toBe(pageCase.status);

          const axe: AxeSummary = await runAxe(page);
          report.push(
            `  ${`${pageCase.name} (${mode.name})`.padEnd(28)} ${String(axe.rulesRun).padStart(3)} rules: ` +
              `${axe.passes} passes, ${axe.incomplete} incomplete, ${axe.inapplicable} inapplicable, ` +
              `${axe.violations.length} violations` +
              (axe.incompleteRules.length > 0
                ? ` (to review: ${axe.incompleteRules.join(', ')})`
                : ''),
          );
          expect(axe.violations).toEqual([]);
          await pageCase.check?.(page);

          await steadyForScreenshot(page);
          await page.screenshot({
            path: screenshotFile(`${pageCase.name}-${mode.name}.png`),
            fullPage: true,
          });
          expect(problems).toEqual([]);
        } finally {
          await context.close();
        }
      });
    }
  }
});
