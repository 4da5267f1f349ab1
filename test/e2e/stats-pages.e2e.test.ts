import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { screenshotFile } from './screenshots.js';
import { TALLY_HOLD_MS } from '../../src/stats/visit-counter.js';
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

// The statistics in Chromium: a link's section on the management page and the admin's link
// page, a refused range, and the admin's overview, each checked with axe-core in both looks;
// the section and the overview photographed for the README. Visits come through the real
// redirect from addresses of documented ranges of several countries (X-Forwarded-For, from the
// loopback proxy TRUST_PROXY trusts) and real User-Agent strings.

const BASE_URL = 'https://snip.example';
const PASSWORD = 'correct horse battery staple';
const ALIAS = 'spring-launch';
const TARGET = 'https://example.com/blog/2026/spring-launch';

const AGENTS = {
  windowsChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  iphoneSafari:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  macFirefox: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0',
  androidChrome:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
};

/** Visits: an address (its country), a browser, a language and where it came from. */
const VISITS: { address: string; agent: string; language: string; referer?: string }[] = [
  { address: '193.99.144.80', agent: AGENTS.windowsChrome, language: 'de-DE,de;q=0.9' },
  {
    address: '193.99.144.81',
    agent: AGENTS.iphoneSafari,
    language: 'de',
    referer: 'https://news.example/a',
  },
  {
    address: '80.156.55.1',
    agent: AGENTS.macFirefox,
    language: 'de-AT',
    referer: 'https://news.example/b',
  },
  {
    address: '8.8.8.8',
    agent: AGENTS.windowsChrome,
    language: 'en-US,en;q=0.8',
    referer: 'https://blog.example/',
  },
  { address: '8.8.4.4', agent: AGENTS.androidChrome, language: 'en-GB' },
  {
    address: '133.0.0.1',
    agent: AGENTS.iphoneSafari,
    language: 'ja-JP',
    referer: 'https://news.example/c',
  },
  { address: '200.160.2.3', agent: AGENTS.androidChrome, language: 'pt-BR' },
];

const MODES: { name: string; options: BrowserContextOptions }[] = [
  { name: 'desktop-light', options: DESKTOP_LIGHT },
  { name: 'mobile-dark', options: MOBILE_DARK },
];

let server: SnipServer;
let browser: Browser;
let managePath = '';

async function expectAccessible(page: Page): Promise<void> {
  const axe = await runAxe(page);
  expect(axe.violations).toEqual([]);
}

/** Nothing on the page needs scrolling sideways, on a phone as on a desktop. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    '(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)()',
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

async function signIn(page: Page): Promise<void> {
  await page.goto('/admin/sign-in');
  await page.fill('#password', PASSWORD);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/admin'),
    page.keyboard.press('Enter'),
  ]);
}

describeInBrowser('the statistics pages, checked with axe-core and photographed', () => {
  beforeAll(async () => {
    server = await startSnip({ BASE_URL, ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: 'loopback' });
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: server.baseUrl });
    const page = await context.newPage();
    await page.goto('/');
    await page.fill('#url', TARGET);
    await page.click('summary');
    await page.fill('#alias', ALIAS);
    await Promise.all([
      page.waitForURL((url) => url.pathname.startsWith('/manage/')),
      page.click('button[type=submit]'),
    ]);
    managePath = new URL(page.url()).pathname;
    for (const visit of [...VISITS, ...VISITS.slice(0, 3)]) {
      const res = await fetch(`${server.baseUrl}/${ALIAS}`, {
        redirect: 'manual',
        headers: {
          'User-Agent': visit.agent,
          'Accept-Language': visit.language,
          'X-Forwarded-For': visit.address,
          ...(visit.referer ? { Referer: visit.referer } : {}),
        },
      });
      expect(res.status).toBe(302);
    }
    await context.close();
    // A second link, so the overview ranks two.
    const second = await browser.newContext({ baseURL: server.baseUrl });
    const page2 = await second.newPage();
    await page2.goto('/');
    await page2.fill('#url', `${TARGET}/pricing`);
    await page2.click('summary');
    await page2.fill('#alias', 'pricing');
    await Promise.all([
      page2.waitForURL((url) => url.pathname.startsWith('/manage/')),
      page2.click('button[type=submit]'),
    ]);
    await second.close();
    for (const visit of VISITS.slice(3, 6)) {
      await fetch(`${server.baseUrl}/pricing`, {
        redirect: 'manual',
        headers: {
          'User-Agent': visit.agent,
          'Accept-Language': visit.language,
          'X-Forwarded-For': visit.address,
        },
      });
    }
    // Two requests for a code that is no link: counted per domain, never stored.
    for (const code of ['spring-lunch', 'sprnig-launch']) {
      const res = await fetch(`${server.baseUrl}/${code}`, {
        headers: { 'User-Agent': AGENTS.windowsChrome },
      });
      expect(res.status).toBe(404);
    }
    // One visit that asks not to be tracked: counted, nothing derived.
    await fetch(`${server.baseUrl}/${ALIAS}`, {
      redirect: 'manual',
      headers: { 'User-Agent': AGENTS.windowsChrome, DNT: '1', 'X-Forwarded-For': '133.0.0.2' },
    });
    // Counts reach the database within a second, what the visits say within TALLY_HOLD_MS more.
    await new Promise((resolve) => setTimeout(resolve, TALLY_HOLD_MS + 1500));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const mode of MODES) {
    it(`when the management page shows a week of statistics (${mode.name}), then every list is readable, axe finds no violation and the section is photographed`, async () => {
      const context = await browser.newContext({ ...mode.options, baseURL: server.baseUrl });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();
        expect((await page.goto(`${managePath}?days=7`))?.status()).toBe(200);
        const section = page.locator('section[aria-labelledby="stats-title"]');
        await expect(section.locator('dt', { hasText: 'Unique visitors' }).count()).resolves.toBe(
          1,
        );
        const countries = page.getByRole('table', {
          name: 'Countries: visits and unique visitors',
        });
        await expect(countries.getByRole('rowheader').allTextContents()).resolves.toEqual([
          'Germany',
          'United States',
          'Brazil',
          'Japan',
        ]);
        const row = countries.getByRole('row', { name: /Germany/ });
        await expect(row.getByRole('cell').allTextContents()).resolves.toEqual(['6', '3', '']);
        const languages = page.getByRole('table', {
          name: 'Languages: visits and unique visitors',
        });
        await expect(languages.getByRole('rowheader').first().textContent()).resolves.toBe(
          'German',
        );
        const referrers = page.getByRole('table', {
          name: 'Referrers: visits and unique visitors',
        });
        await expect(referrers.getByRole('rowheader').allTextContents()).resolves.toEqual([
          'news.example',
          'Direct (no referrer)',
          'blog.example',
        ]);
        await expect(
          page.getByText('Do Not Track or Global Privacy Control').isVisible(),
        ).resolves.toBe(true);
        await expectAccessible(page);
        await expectNoSidewaysScroll(page);
        // The from–to form, sent with GET, keeps the days chosen.
        const today = new Date().toISOString().slice(0, 10);
        await page.fill('#stats-from', today);
        await page.fill('#stats-to', today);
        await Promise.all([
          page.waitForURL((url) => url.searchParams.get('from') === today),
          page.getByRole('button', { name: 'Show' }).click(),
        ]);
        await expect(page.locator('#stats-from').inputValue()).resolves.toBe(today);
        await expect(
          page.getByRole('link', { name: 'Download these statistics (CSV)' }).getAttribute('href'),
        ).resolves.toBe(`${managePath}/stats.csv?from=${today}&to=${today}`);
        await page.goto(`${managePath}?days=7`);
        await steadyForScreenshot(page);
        await section.screenshot({
          path: screenshotFile(`manage-stats-${mode.name}.png`),
        });
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it(`when a range is refused (${mode.name}), then the page says what to fix at the field and axe finds no violation`, async () => {
      const context = await browser.newContext({ ...mode.options, baseURL: server.baseUrl });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();
        const response = await page.goto(`${managePath}?from=2026-06-10&to=2026-06-01`);
        expect(response?.status()).toBe(400);
        const to = page.getByLabel('To', { exact: true });
        await expect(to.getAttribute('aria-invalid')).resolves.toBe('true');
        await expect(page.locator('#stats-to-error').textContent()).resolves.toContain(
          'The last day must not be before the first day.',
        );
        await expect(page.evaluate('document.activeElement.id')).resolves.toBe('stats-to');
        await expectAccessible(page);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it(`when the admin opens the overview and the link (${mode.name}), then axe finds no violation and the overview is photographed`, async () => {
      const context = await browser.newContext({ ...mode.options, baseURL: server.baseUrl });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();
        await signIn(page);
        await Promise.all([
          page.waitForURL((url) => url.pathname === '/admin/stats'),
          page
            .getByRole('navigation', { name: 'Admin' })
            .getByRole('link', { name: 'Statistics' })
            .click(),
        ]);
        const top = page.getByRole('table', { name: 'Top links: visits and unique visitors' });
        await expect(top.getByRole('rowheader').allTextContents()).resolves.toEqual([
          `/${ALIAS}`,
          '/pricing',
        ]);
        const unknown = page.getByRole('table', { name: 'Requests for unknown codes per domain' });
        await expect(
          unknown
            .getByRole('row', { name: /snip\.example/ })
            .getByRole('cell')
            .allTextContents(),
        ).resolves.toEqual(['2']);
        await expectAccessible(page);
        await expectNoSidewaysScroll(page);
        await steadyForScreenshot(page);
        await page.screenshot({
          path: screenshotFile(`admin-stats-${mode.name}.png`),
          fullPage: true,
        });
        // The top link leads to its admin page, whose statistics are the link's.
        await page.goto('/admin/stats');
        await Promise.all([
          page.waitForURL((url) => url.pathname === `/admin/links/${ALIAS}`),
          top.getByRole('link', { name: `/${ALIAS}` }).click(),
        ]);
        await page.getByRole('link', { name: 'All time' }).click();
        await page.waitForURL((url) => url.searchParams.get('days') === 'all');
        await expect(
          page
            .getByRole('table', { name: 'Devices: visits and unique visitors' })
            .getByRole('rowheader')
            .allTextContents(),
        ).resolves.toEqual(['Desktop', 'Mobile']);
        await expectAccessible(page);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
