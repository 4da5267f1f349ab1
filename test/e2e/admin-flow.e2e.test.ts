import fs from 'node:fs';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
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
  type SnipServer,
} from './browser-harness.js';

// The operator's flows in Chromium, keyboard and forms only: sign in, find a link, a visitor's
// report reaching the queue, a ban that blocks the host, and an API key shown once. Every admin
// page is checked with axe-core in both looks and photographed for the README.

const PASSWORD = 'correct horse battery staple';
/** A Shlink web client export; the third link goes to a host the import test blocks first. */
const IMPORT_FILE = [
  'createdAt,domain,shortCode,shortUrl,longUrl,title,tags,visits',
  '2025-01-02T03:04:05+00:00,,imported-one,https://s.example/imported-one,https://example.org/one,One,,3',
  '2025-01-03T03:04:05+00:00,,imported-two,https://s.example/imported-two,https://example.org/two,Two,,0',
  '2025-01-04T03:04:05+00:00,,imported-bad,https://s.example/imported-bad,https://login.scam.example/,Bad,,9',
].join('\n');

let server: SnipServer;
let browser: Browser;
const report: string[] = [];

/** Submits the form of `button` and waits for the page its 303 leads to. */
async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
}

async function signIn(page: Page): Promise<void> {
  await page.goto('/admin');
  expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
  await page.fill('#password', PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.pathname === '/admin');
}

async function shorten(page: Page, url: string, alias: string): Promise<void> {
  await page.goto('/');
  await page.fill('#url', url);
  await page.click('summary');
  await page.fill('#alias', alias);
  await Promise.all([
    page.waitForURL((u) => u.pathname.startsWith('/manage/')),
    page.click('button[type=submit]'),
  ]);
}

async function checkPage(page: Page, name: string, mode: string): Promise<void> {
  const axe = await runAxe(page);
  report.push(
    `  ${`${name} (${mode})`.padEnd(30)} ${axe.rulesRun} rules: ${axe.passes} passes, ${axe.violations.length} violations`,
  );
  expect(axe.violations).toEqual([]);
  await steadyForScreenshot(page);
  await page.screenshot({
    path: screenshotFile(`${name}-${mode}.png`),
    fullPage: true,
  });
}

describeInBrowser('the admin in Chromium', () => {
  beforeAll(async () => {
    server = await startSnip({ ADMIN_PASSWORD: PASSWORD, BASE_URL: 'https://snip.example' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (report.length > 0) console.log(['axe-core on the admin pages:', ...report].join('\n'));
  });

  it('when a visitor reports a link, then the operator finds it in the queue, bans it with its host, and the host is refused from then on', async () => {
    const started = Date.now();
    const context = await browser.newContext({ ...DESKTOP_LIGHT, baseURL: server.baseUrl });
    const problems = watchForProblems(context);
    try {
      const visitor = await context.newPage();
      await shorten(visitor, 'https://phish.example/login', 'prize-claim');
      await shorten(visitor, 'https://phish.example/other', 'prize-two');
      await shorten(visitor, 'https://news.example/story', 'news-story');

      // The visitor reports it from the preview.
      await visitor.goto('/prize-claim+');
      await Promise.all([
        visitor.waitForURL('**/report/prize-claim'),
        visitor.click('a[href="/report/prize-claim"]'),
      ]);
      await visitor.check('#reason-phishing');
      await visitor.fill('#details', 'Asks for a bank login');
      await submit(visitor, 'button[type=submit]');
      expect(await visitor.locator('h1').innerText()).toBe('Thank you');

      // The operator signs in, finds the report, and bans the link with its host.
      const admin = await context.newPage();
      await signIn(admin);
      await admin.click('a[href="/admin/reports"]');
      await admin.waitForURL('**/admin/reports');
      expect(await admin.locator('main').innerText()).toContain('Asks for a bank login');
      await Promise.all([
        admin.waitForURL('**/admin/links/prize-claim**'),
        admin.click('a[href^="/admin/links/prize-claim#"]'),
      ]);
      await admin.fill('#reason', 'phishing kit');
      await admin.check('#block_host');
      await admin.check('#disable_others');
      await submit(admin, 'form[action$="/ban"] button');
      expect(await admin.locator('.notice--success').innerText()).toContain('banned');

      // Visitors now see it removed; the host and its other link are stopped.
      const gone = await visitor.goto('/prize-claim');
      expect(gone?.status()).toBe(410);
      expect(await visitor.locator('h1').innerText()).toBe('This link was removed');
      expect((await visitor.goto('/prize-two'))?.status()).toBe(410);
      await visitor.goto('/');
      await visitor.fill('#url', 'https://www.phish.example/again');
      await Promise.all([visitor.waitForURL('**/shorten'), visitor.click('button[type=submit]')]);
      expect(await visitor.locator('#url-error').innerText()).toContain('not allowed here');

      // Search finds the other links.
      await admin.goto('/admin');
      await admin.fill('#q', 'news.example');
      await Promise.all([admin.waitForURL('**/admin?**'), admin.click('form[role=search] button')]);
      expect(await admin.locator('tbody tr').count()).toBe(1);
      expect(await admin.locator('tbody').innerText()).toContain('/news-story');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
    console.log(`admin report → ban flow: ${Date.now() - started} ms`);
  });

  it('when the operator makes an API key, then it is shown once and listed without it', async () => {
    const context = await browser.newContext({ ...DESKTOP_LIGHT, baseURL: server.baseUrl });
    const problems = watchForProblems(context);
    try {
      const admin = await context.newPage();
      await signIn(admin);
      await admin.goto('/admin/keys');
      await admin.fill('#name', 'sharex');
      await submit(admin, 'form[action="/admin/keys"] button');
      const key = await admin.inputValue('#new-key');
      expect(key).toMatch(/^snip_[A-Za-z0-9_-]{43}$/);
      const created = await fetch(`${server.baseUrl}/api/v1/links`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Api-Key': key },
        body: JSON.stringify({ url: 'https://example.com/from-key', alias: 'from-key' }),
      });
      expect(created.status).toBe(201);
      await admin.goto('/admin/keys');
      expect(await admin.locator('main').innerText()).toContain('sharex');
      expect(await admin.content()).not.toContain(key);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when the operator imports a CSV file, then the report shows each row and downloads, and the export has the links', async () => {
    const context = await browser.newContext({
      ...DESKTOP_LIGHT,
      baseURL: server.baseUrl,
      acceptDownloads: true,
    });
    const problems = watchForProblems(context);
    try {
      const admin = await context.newPage();
      await signIn(admin);
      await admin.goto('/admin/blocklist');
      await admin.fill('#host', 'scam.example');
      await submit(admin, 'form[action="/admin/blocklist"] button');
      await admin.click('a[href="/admin/import"]');
      await admin.waitForURL('**/admin/import');
      await admin.selectOption('#format', 'shlink');
      await admin.setInputFiles('#file', {
        name: 'shlink-export.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(IMPORT_FILE),
      });
      await submit(admin, 'form[action="/admin/import"] button');
      expect(await admin.locator('#report-title').innerText()).toBe(
        'Imported from Shlink: 2 of 3 links created',
      );
      expect(await admin.locator('table').innerText()).toContain(
        'Links to this website are not allowed here.',
      );

      const [report] = await Promise.all([
        admin.waitForEvent('download'),
        admin.click('a[href^="/admin/import/reports/"]'),
      ]);
      const reportText = fs.readFileSync((await report.path())!, 'utf8');
      expect(reportText.split('\r\n').filter(Boolean)).toHaveLength(4);

      // The imported links redirect, and the export lists them.
      const visit = await fetch(`${server.baseUrl}/imported-one`, { redirect: 'manual' });
      expect(visit.headers.get('location')).toBe('https://example.org/one');
      const [exported] = await Promise.all([
        admin.waitForEvent('download'),
        admin.click('a[href="/admin/export.csv"]'),
      ]);
      expect(exported.suggestedFilename()).toMatch(/^snip-links-\d{4}-\d{2}-\d{2}\.csv$/);
      const exportText = fs.readFileSync((await exported.path())!, 'utf8');
      expect(exportText).toContain('imported-one,https://example.org/one,');
      expect(exportText).toContain('imported-two,https://example.org/two,');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  for (const [mode, options] of [
    ['desktop-light', DESKTOP_LIGHT],
    ['mobile-dark', MOBILE_DARK],
  ] as [string, BrowserContextOptions][]) {
    it(`when every admin page is shown (${mode}), then axe finds no violation and a screenshot is written`, async () => {
      const context: BrowserContext = await browser.newContext({
        ...options,
        baseURL: server.baseUrl,
      });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();
        await page.goto('/admin/sign-in');
        await checkPage(page, 'admin-sign-in', mode);
        await signIn(page);
        for (const [name, url] of [
          ['admin-links', '/admin'],
          ['admin-link', '/admin/links/news-story'],
          ['admin-new', '/admin/new'],
          ['admin-reports', '/admin/reports'],
          ['admin-blocklist', '/admin/blocklist'],
          ['admin-keys', '/admin/keys'],
          ['admin-import', '/admin/import'],
        ] as const) {
          const res = await page.goto(url);
          expect(res?.status(), url).toBe(200);
          await checkPage(page, name, mode);
        }
        await page.setInputFiles('#file', {
          name: 'links.csv',
          mimeType: 'text/csv',
          buffer: Buffer.from(IMPORT_FILE),
        });
        await submit(page, 'form[action="/admin/import"] button');
        await checkPage(page, 'admin-import-report', mode);
        await page.goto('/report/news-story');
        await checkPage(page, 'report', mode);
        // Each choice sits on its label's line, not above it.
        for (const id of ['#reason-phishing', '#reason-other'])
          await expectOnItsLabelsLine(page, id);
        await page.goto('/admin/links/news-story');
        for (const id of ['#block_host', '#disable_others']) await expectOnItsLabelsLine(page, id);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});

/** The input's box and its label's first line overlap vertically: one row, not two. */
async function expectOnItsLabelsLine(page: Page, selector: string): Promise<void> {
  const input = await page.locator(selector).boundingBox();
  const label = await page.locator(`label[for="${selector.slice(1)}"]`).boundingBox();
  expect(input, selector).not.toBeNull();
  expect(label, selector).not.toBeNull();
  expect(input!.y, selector).toBeLessThan(label!.y + label!.height);
  expect(label!.y, selector).toBeLessThan(input!.y + input!.height);
}
