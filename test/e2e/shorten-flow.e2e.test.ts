import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  DESKTOP_LIGHT,
  MOBILE_DARK,
  describeInBrowser,
  launchChromium,
  serveTargetSite,
  startSnip,
  TARGET_BODY,
  watchForProblems,
  type SnipServer,
} from './browser-harness.js';

let server: SnipServer;
let browser: Browser;
let contexts: BrowserContext[] = [];

async function openContext(options: BrowserContextOptions): Promise<{
  page: Page;
  problems: string[];
}> {
  const context = await browser.newContext({
    ...options,
    baseURL: server.baseUrl,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  contexts.push(context);
  const problems = watchForProblems(context);
  const page = await context.newPage();
  await serveTargetSite(context, page);
  return { page, problems };
}

/** What has keyboard focus, in a form a test can compare: `#id` or `.first-class`. */
async function focused(page: Page): Promise<string> {
  return page.evaluate(
    `(() => { const el = document.activeElement;
       return el.id ? '#' + el.id : '.' + (el.classList[0] || el.tagName.toLowerCase()); })()`,
  );
}

/** The focused element draws a ring at least 2px wide (WCAG 2.4.7, visible focus). */
async function expectVisibleFocus(page: Page): Promise<void> {
  const ring = (await page.evaluate(
    `(() => { const s = getComputedStyle(document.activeElement);
       return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; })()`,
  )) as { style: string; width: number };
  expect(ring.style).not.toBe('none');
  expect(ring.width).toBeGreaterThanOrEqual(2);
}

/** The page fits its viewport: nothing to scroll sideways (WCAG 1.4.10, reflow). */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

/** Home → Tab to the URL field → type → Enter → result page. Returns the short link shown. */
async function shortenWithKeyboard(page: Page, target: string): Promise<string> {
  await page.goto('/');
  const stops: string[] = [];
  while (stops.length < 5 && stops.at(-1) !== '#url') {
    await page.keyboard.press('Tab');
    stops.push(await focused(page));
    await expectVisibleFocus(page);
  }
  // The URL field is the first control after the skip link and the home link.
  expect(stops).toEqual(['.skip-link', '.brand', '#url']);
  await page.keyboard.type(target);
  // Post/Redirect/Get: the form answers 303 and the browser lands on the link's own page.
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/' && url.pathname !== '/shorten'),
    page.keyboard.press('Enter'),
  ]);
  expect(await page.locator('h1').innerText()).toBe('Your short link is ready');
  const shortUrl = await page.inputValue('#short-url');
  expect(shortUrl).toMatch(new RegExp(`^${server.baseUrl}/[A-Za-z0-9_-]+$`));
  expect(await page.locator('a.target').innerText()).toBe(target);
  return shortUrl;
}

/** Tab from the link to the copy button, press Enter: the clipboard holds the link. */
async function copyWithButton(page: Page, shortUrl: string): Promise<void> {
  const button = page.locator('[data-copy="#short-url"]');
  expect(await button.isVisible()).toBe(true);
  await page.focus('#short-url');
  await page.keyboard.press('Tab');
  expect(await focused(page)).toBe('.button');
  await expectVisibleFocus(page);
  await page.keyboard.press('Enter');
  const status = `#${(await button.getAttribute('data-copy-status'))?.replace(/^#/, '')}`;
  await page.locator(status, { hasText: 'Copied' }).waitFor();
  expect(await page.getAttribute(status, 'role')).toBe('status');
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(shortUrl);
  // The copied text is also selected, so it shows what was copied.
  expect(
    await page.evaluate(
      `(() => { const f = document.querySelector('#short-url');
         return document.activeElement === f && f.selectionStart === 0 && f.selectionEnd === f.value.length; })()`,
    ),
  ).toBe(true);
}

/** Follows the short link the way a visitor does, and ends at the target. */
async function followShortLink(page: Page, shortUrl: string, target: string): Promise<void> {
  const response = await page.goto(shortUrl);
  expect(response?.request().redirectedFrom()?.url()).toBe(shortUrl);
  expect((await response?.request().redirectedFrom()?.response())?.status()).toBe(302);
  expect(page.url()).toBe(target);
  expect(await page.locator('body').innerText()).toBe(TARGET_BODY);
}

async function expectNotFoundPage(page: Page): Promise<void> {
  const response = await page.goto('/no-such-link-here');
  expect(response?.status()).toBe(404);
  expect(await page.locator('h1').innerText()).toBe('No such link');
  expect(await page.getAttribute('a.button', 'href')).toBe('/');
}

describeInBrowser('shortening, copying and following a link in Chromium', () => {
  beforeAll(async () => {
    server = await startSnip();
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    contexts = [];
    await browser?.close();
    await server?.stop();
  });

  it('when a person uses only the keyboard on a desktop, then they shorten, copy, follow and meet the 404 page', async () => {
    const started = Date.now();
    const { page, problems } = await openContext(DESKTOP_LIGHT);
    const target = 'https://example.com/e2e/keyboard?ref=desktop';
    const shortUrl = await shortenWithKeyboard(page, target);
    await copyWithButton(page, shortUrl);
    await followShortLink(page, shortUrl, target);
    await expectNotFoundPage(page);
    expect(problems).toEqual([]);
    console.log(`desktop keyboard flow: ${Date.now() - started} ms`);
  });

  it('when JavaScript is off, then the copy button stays hidden, the link can be selected and the form still works', async () => {
    const started = Date.now();
    const { page, problems } = await openContext({ ...DESKTOP_LIGHT, javaScriptEnabled: false });
    const target = 'https://example.com/e2e/no-js';
    const shortUrl = await shortenWithKeyboard(page, target);
    expect(await page.locator('[data-copy="#short-url"]').isHidden()).toBe(true);
    expect(await page.locator('#short-url').isEditable()).toBe(false);
    await page.click('#short-url');
    await page.keyboard.press('ControlOrMeta+A');
    expect(
      await page.evaluate(
        `(() => { const f = document.querySelector('#short-url');
           return f.value.slice(f.selectionStart, f.selectionEnd); })()`,
      ),
    ).toBe(shortUrl);
    await followShortLink(page, shortUrl, target);
    await expectNotFoundPage(page);
    expect(problems).toEqual([]);
    console.log(`no-JavaScript flow: ${Date.now() - started} ms`);
  });

  it('when the screen is a 390 px phone in dark mode, then the same flow works and nothing scrolls sideways', async () => {
    const started = Date.now();
    const { page, problems } = await openContext(MOBILE_DARK);
    const target = 'https://example.com/e2e/phone/with/a/rather/long/path/that/must/wrap?q=1';
    await page.goto('/');
    await expectNoSidewaysScroll(page);
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(13, 15, 20)');
    const shortUrl = await shortenWithKeyboard(page, target);
    await expectNoSidewaysScroll(page);
    await copyWithButton(page, shortUrl);
    await followShortLink(page, shortUrl, target);
    await expectNotFoundPage(page);
    await expectNoSidewaysScroll(page);
    expect(problems).toEqual([]);
    console.log(`phone dark flow: ${Date.now() - started} ms`);
  });

  it('when the screen is 320 px wide (WCAG reflow), then no page scrolls sideways', async () => {
    const { page, problems } = await openContext({ viewport: { width: 320, height: 640 } });
    await page.goto('/');
    await expectNoSidewaysScroll(page);
    await page.click('summary');
    await expectNoSidewaysScroll(page);
    await page.fill('#url', 'javascript:alert(1)');
    await Promise.all([page.waitForURL('**/shorten'), page.click('button[type=submit]')]);
    await expectNoSidewaysScroll(page);
    await page.fill('#url', 'https://example.com/e2e/narrow/with/a/long/path?and=a&query=string');
    await Promise.all([
      page.waitForURL((url) => url.pathname !== '/shorten'),
      page.click('button[type=submit]'),
    ]);
    await page.locator('#short-url').waitFor();
    await expectNoSidewaysScroll(page);
    for (const path of ['/no-such-link-here', '/%E0%A4%A']) {
      await page.goto(path);
      await expectNoSidewaysScroll(page);
    }
    expect(problems).toEqual([]);
  });

  it('when the URL is refused, then the message is beside the field, tied to it, and the field has focus', async () => {
    const { page, problems } = await openContext(DESKTOP_LIGHT);
    await page.goto('/');
    await page.focus('#url');
    await page.keyboard.type('javascript:alert(1)');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/shorten')),
      page.waitForURL('**/shorten'),
      page.keyboard.press('Enter'),
    ]);
    expect(response.status()).toBe(422);
    expect(await page.title()).toMatch(/^Error: /);
    expect(await focused(page)).toBe('#url');
    await expectVisibleFocus(page);
    expect(await page.inputValue('#url')).toBe('javascript:alert(1)');
    expect(await page.getAttribute('#url', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#url', 'aria-describedby')).toContain('url-error');
    const error = page.locator('#url-error');
    expect(await error.isVisible()).toBe(true);
    // More than a colour: an icon and words, with "Error:" for screen readers.
    expect(await error.locator('svg').count()).toBe(1);
    expect((await error.textContent())?.replace(/\s+/g, ' ').trim()).toMatch(/^Error: \S/);
    // The message sits right under its field, not somewhere else on the page.
    const field = await page.locator('#url').boundingBox();
    const message = await error.boundingBox();
    expect(message!.y - (field!.y + field!.height)).toBeLessThan(24);
    expect(problems).toEqual([]);
  });

  it('when the alias is taken, then the options open by themselves and the alias field has focus', async () => {
    const { page, problems } = await openContext(DESKTOP_LIGHT);
    for (const expected of [303, 409]) {
      await page.goto('/');
      await page.fill('#url', 'https://example.com/e2e/alias');
      await page.click('summary');
      await page.fill('#alias', 'taken-in-e2e');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/shorten')),
        page.waitForURL((url) => url.pathname !== '/'),
        page.click('button[type=submit]'),
      ]);
      expect(response.status()).toBe(expected);
    }
    expect(await page.locator('details').getAttribute('open')).not.toBeNull();
    expect(await focused(page)).toBe('#alias');
    expect(await page.locator('#alias-error').innerText()).toContain('already taken');
    expect(problems).toEqual([]);
  });
});
