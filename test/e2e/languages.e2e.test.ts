import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { screenshotFile } from './screenshots.js';
import { LANGUAGES } from '../../src/i18n/languages.js';
import {
  describeInBrowser,
  launchChromium,
  runAxe,
  startSnip,
  steadyForScreenshot,
  watchForProblems,
  type SnipServer,
} from './browser-harness.js';

// Every page in every language, as a browser set to that language asks for it (its
// Accept-Language): the page says the language in <html lang dir>, never scrolls sideways on a
// 320-pixel phone nor on a desktop, and axe finds nothing on the phone. The home page in Arabic
// and Japanese is photographed for the README.

const PASSWORD = 'correct horse battery staple';
const PHONE = { width: 320, height: 640 };
const DESKTOP = { width: 1280, height: 800 };
const LONG_TARGET =
  'https://example.com/a/rather/long/path/that/keeps/going/and-going-without-any-break-at-all?with=a&query=string';

let server: SnipServer;
let browser: Browser;
let managePath = '';
const report: string[] = [];

/** Makes a link through the form, as a browser does, and returns its management path. */
async function shorten(fields: Record<string, string>): Promise<string> {
  const res = await fetch(`${server.baseUrl}/shorten`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Sec-Fetch-Site': 'same-origin',
    },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return new URL(res.headers.get('location')!, server.baseUrl).pathname;
}

/** Posts a form as the browser that holds `cookie` would, and expects it to be taken. */
async function post(
  pathname: string,
  fields: Record<string, string>,
  cookie = '',
): Promise<Response> {
  const res = await fetch(`${server.baseUrl}${pathname}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Sec-Fetch-Site': 'same-origin',
      Cookie: cookie,
    },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });
  expect(res.status, pathname).toBeLessThan(400);
  return res;
}

/**
 * What the admin pages list, with the long names that push a narrow page sideways: a key, a
 * domain, a tag, a report, a blocked host.
 */
async function fillAdminPages(): Promise<void> {
  const signedIn = await post('/admin/sign-in', { password: PASSWORD });
  const cookie = signedIn.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  await post(
    '/admin/keys',
    { name: 'sharex-on-the-office-laptop-of-the-marketing-team', scope: 'full' },
    cookie,
  );
  await post(
    '/admin/keys',
    { name: 'shortcuts', scope: 'create-only', expires: '2099-12-31' },
    cookie,
  );
  await post(
    '/admin/domains',
    { host: 'links.an-unusually-long-company-domain-name.example' },
    cookie,
  );
  await post(
    '/admin/blocklist',
    { host: 'phishing-site-with-a-very-long-name.example', reason: 'Phishing' },
    cookie,
  );
  await post('/report/long-target', {
    reason: 'spam',
    details: 'It sends people to a page that asks for their bank password.',
  });
}

/** The pages a visitor reaches, and the admin's (signed in first). */
function pages(): { name: string; path: string; status: number }[] {
  return [
    { name: 'home', path: '/', status: 200 },
    { name: 'manage', path: managePath, status: 200 },
    { name: 'preview', path: '/long-target+', status: 200 },
    { name: 'password', path: '/locked', status: 401 },
    { name: 'not-found', path: '/no-such-link', status: 404 },
    { name: 'gone', path: '/gone-link', status: 410 },
    { name: 'report', path: '/report/long-target', status: 200 },
    { name: 'privacy', path: '/privacy', status: 200 },
    { name: 'admin-sign-in', path: '/admin/sign-in', status: 200 },
  ];
}

const ADMIN_PAGES = [
  { name: 'admin-links', path: '/admin', status: 200 },
  { name: 'admin-link', path: '/admin/links/long-target', status: 200 },
  { name: 'admin-new', path: '/admin/new', status: 200 },
  { name: 'admin-keys', path: '/admin/keys', status: 200 },
  { name: 'admin-domains', path: '/admin/domains', status: 200 },
  { name: 'admin-tags', path: '/admin/tags', status: 200 },
  { name: 'admin-reports', path: '/admin/reports', status: 200 },
  { name: 'admin-blocklist', path: '/admin/blocklist', status: 200 },
  { name: 'admin-import', path: '/admin/import', status: 200 },
  { name: 'admin-stats', path: '/admin/stats', status: 200 },
];

/** How far the page reaches past the viewport's right (or, right to left, left) edge. */
function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(`(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return root.scrollWidth - root.clientWidth;
  })()`);
}

/** The elements that stick out of the viewport sideways, to name in a failure. */
function outsiders(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const found = [];
    for (const element of document.body.querySelectorAll('*')) {
      const box = element.getBoundingClientRect();
      if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
        const classes = element.getAttribute('class');
        found.push(element.tagName.toLowerCase() + (classes ? '.' + classes.split(' ').join('.') : '') +
          ' (' + Math.round(box.left) + '–' + Math.round(box.right) + ')');
      } else if (element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1 &&
          getComputedStyle(element).overflowX === 'visible' && element.children.length === 0) {
        // Text wider than its box: a word that does not break.
        found.push(element.tagName.toLowerCase() + ' holds “' + element.textContent.trim().slice(0, 40) + '”');
      }
    }
    return found.slice(0, 12);
  })()`);
}

async function expectFits(page: Page, what: string): Promise<void> {
  if ((await sidewaysOverflow(page)) > 0) expect(await outsiders(page), what).toEqual([]);
  expect(await sidewaysOverflow(page), what).toBeLessThanOrEqual(0);
}

/**
 * On a phone, every cell of a table of links or keys is on the screen (a card per row), none in a
 * column beyond its edge to scroll to.
 */
async function expectCellsOnScreen(page: Page, what: string): Promise<void> {
  const offScreen = await page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('.table--cards td')]
      .map((cell) => cell.getBoundingClientRect())
      .filter((box) => box.left < -0.5 || box.right > width + 0.5).length;
  })()`);
  expect(offScreen, `${what}: cells beyond the screen`).toBe(0);
}

async function signIn(page: Page): Promise<void> {
  await page.goto('/admin/sign-in');
  await page.fill('#password', PASSWORD);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/admin'),
    page.keyboard.press('Enter'),
  ]);
}

describeInBrowser('every page in every language', () => {
  beforeAll(async () => {
    server = await startSnip({ ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://snip.example' });
    browser = await launchChromium();
    managePath = await shorten({ url: LONG_TARGET, alias: 'long-target' });
    await shorten({ url: 'https://example.com/locked', alias: 'locked', password: 'open sesame' });
    const gone = await shorten({ url: 'https://example.com/gone', alias: 'gone-link' });
    const token = gone.split('/').pop()!;
    const deleted = await fetch(`${server.baseUrl}/manage/${token}/delete`, {
      method: 'POST',
      headers: { 'Sec-Fetch-Site': 'same-origin' },
      redirect: 'manual',
    });
    expect(deleted.status).toBe(303);
    await fillAdminPages();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    console.log(`Languages (${LANGUAGES.length}), pages at 320 px:\n${report.join('\n')}`);
  });

  for (const language of LANGUAGES) {
    it(`when a browser in ${language.name} (${language.tag}) opens every page, then each is in it, fits 320 px and a desktop, and axe finds nothing`, async () => {
      const context: BrowserContext = await browser.newContext({
        baseURL: server.baseUrl,
        locale: language.tag,
        viewport: PHONE,
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 1,
      });
      const problems = watchForProblems(context);
      const page = await context.newPage();
      let signedIn = false;
      for (const each of [...pages(), ...ADMIN_PAGES]) {
        if (each.name.startsWith('admin-') && each.name !== 'admin-sign-in' && !signedIn) {
          await signIn(page);
          signedIn = true;
        }
        const res = await page.goto(each.path);
        expect(res?.status(), each.name).toBe(each.status);
        expect(await page.getAttribute('html', 'lang'), each.name).toBe(language.tag);
        expect(await page.getAttribute('html', 'dir'), each.name).toBe(language.dir);
        await expectFits(page, `${each.name} at 320 px`);
        await expectCellsOnScreen(page, each.name);
        const axe = await runAxe(page);
        expect(axe.violations, `${each.name}: axe`).toEqual([]);
        await page.setViewportSize(DESKTOP);
        await expectFits(page, `${each.name} on a desktop`);
        await page.setViewportSize(PHONE);
        report.push(
          `  ${language.tag.padEnd(8)} ${each.name.padEnd(16)} ${axe.rulesRun} rules, 0 violations`,
        );
      }
      expect(problems).toEqual([]);
      await context.close();
    }, 180_000);
  }

  for (const tag of ['ar', 'ja'].filter((t) => LANGUAGES.some((l) => l.tag === t))) {
    for (const look of [
      { name: 'desktop-light', viewport: DESKTOP, colorScheme: 'light' as const, isMobile: false },
      {
        name: 'mobile-dark',
        viewport: { width: 390, height: 844 },
        colorScheme: 'dark' as const,
        isMobile: true,
      },
    ]) {
      it(`when the home page is opened in ${tag} (${look.name}), then it is photographed for the README`, async () => {
        const context = await browser.newContext({
          baseURL: server.baseUrl,
          locale: tag,
          viewport: look.viewport,
          colorScheme: look.colorScheme,
          isMobile: look.isMobile,
          deviceScaleFactor: 1,
        });
        const page = await context.newPage();
        await page.goto('/');
        expect(await page.getAttribute('html', 'lang')).toBe(tag);
        await steadyForScreenshot(page);
        await page.screenshot({
          path: screenshotFile(`home-${tag}-${look.name}.png`),
          fullPage: true,
        });
        await context.close();
      }, 60_000);
    }
  }
});
