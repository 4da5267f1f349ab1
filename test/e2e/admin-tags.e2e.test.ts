import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeInBrowser,
  DESKTOP_LIGHT,
  expectNoViolations,
  launchChromium,
  MOBILE_DARK,
  startSnip,
  watchForProblems,
  type SnipServer,
} from './browser-harness.js';

/**
 * Tags in the admin, in a real browser, with and without JavaScript: given on the home page under
 * "More options" and in the admin's New link form, shown in the list and on the link's page,
 * filtered by (any of / all of / none of), added and removed with the bulk form, counted on the
 * Tags page; a bad tag is refused at its field, in the bulk form on the list the operator was
 * looking at, and changes nothing. axe-core finds no violation on any page
 * where it can run (with JavaScript).
 */

const PASSWORD = 'correct horse battery staple';
/** A person's browser: headless Chromium's own agent is a bot's, whose visits are not counted. */
const PERSON_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let browser: Browser;

/** Clicks a form's button and waits for the page it loads; returns that page's response. */
async function submit(page: Page, button: string): Promise<Response | null> {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(button)]);
  return response;
}

async function signIn(page: Page): Promise<void> {
  await page.goto('/admin');
  await page.fill('#password', PASSWORD);
  await submit(page, 'form[action="/admin/sign-in"] button[type=submit]');
  expect(new URL(page.url()).pathname).toBe('/admin');
}

/** The admin list's rows: each code with the Tags cell, as the page shows them. */
async function listedTags(page: Page): Promise<Record<string, string>> {
  const rows: Record<string, string> = {};
  for (const row of await page.locator('tbody tr').all()) {
    const code = await row.locator('td:nth-child(2)').innerText();
    rows[code.trim()] = (await row.locator('td:nth-child(4)').innerText()).trim();
  }
  return rows;
}

/** Filters the admin list by tags, with the mode's option, and returns the rows shown. */
async function filterBy(
  page: Page,
  tags: string,
  mode: 'any' | 'all' | 'none',
): Promise<Record<string, string>> {
  await page.goto('/admin');
  await page.fill('#tags', tags);
  await page.selectOption('#tagMode', mode);
  await submit(page, 'form[role=search] button[type=submit]');
  const url = new URL(page.url());
  expect(url.searchParams.get('tagMode')).toBe(mode);
  expect(await page.inputValue('#tags')).toBe(tags);
  return listedTags(page);
}

/** Ticks the links and sends the bulk form's tag action. */
async function bulkTag(
  page: Page,
  codes: string[],
  tag: string,
  action: 'tag' | 'untag' | 'Enter',
): Promise<void> {
  await page.goto('/admin');
  for (const code of codes) await page.check(`#pick-${code}`);
  await page.fill('#bulk-tag', tag);
  // Enter in the tag field presses the form's first button: it must add the tag, not disable.
  if (action === 'Enter') {
    await Promise.all([page.waitForNavigation(), page.press('#bulk-tag', 'Enter')]);
  } else {
    await submit(page, `button[name=action][value=${action}]`);
  }
}

/** The Tags page's rows: name → [links, visits]. */
async function tagsPage(page: Page): Promise<Record<string, [string, string]>> {
  await page.goto('/admin/tags');
  const rows: Record<string, [string, string]> = {};
  for (const row of await page.locator('tbody tr').all()) {
    const cells = await row.locator('td').allInnerTexts();
    rows[cells[0]!.trim()] = [cells[1]!.trim(), cells[2]!.trim()];
  }
  return rows;
}

async function visit(server: SnipServer, code: string): Promise<void> {
  const response = await fetch(`${server.baseUrl}/${code}`, {
    redirect: 'manual',
    headers: { 'User-Agent': PERSON_AGENT },
  });
  expect(response.status).toBe(302);
}

describeInBrowser('tags in the admin in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  for (const [name, options, javaScriptEnabled] of [
    ['with JavaScript, desktop-light', DESKTOP_LIGHT, true],
    ['without JavaScript, mobile-dark', MOBILE_DARK, false],
  ] as const) {
    it(`when the operator tags links (${name}), then the list shows, filters and changes them and the Tags page counts them`, async () => {
      // A server of its own: the Tags page counts every link of the database.
      const server = await startSnip({ ADMIN_PASSWORD: PASSWORD });
      const context = await browser.newContext({
        ...options,
        javaScriptEnabled,
        baseURL: server.baseUrl,
      });
      const problems = watchForProblems(context);
      try {
        const page = await context.newPage();

        // A visitor's link with tags, from the home page's "More options".
        await page.goto('/');
        await page.click('summary');
        await page.fill('#url', 'https://example.com/alpha');
        await page.fill('#alias', 'alpha');
        await page.fill('#tags', ' Launch , news,news');
        await expectNoViolations(page, javaScriptEnabled);
        await submit(page, 'form[action="/shorten"] button[type=submit]');
        expect(page.url()).toMatch(/\/manage\/[A-Za-z0-9_-]{32}\?created=1$/);
        expect(await page.inputValue('#tags')).toBe('Launch, news');

        // Two more from the admin's New link form, one without tags.
        await signIn(page);
        for (const [alias, tags] of [
          ['beta', 'News, promo'],
          ['gamma', ''],
        ]) {
          await page.goto('/admin/new');
          await page.fill('#url', `https://example.com/${alias}`);
          await page.fill('#alias', alias!);
          await page.fill('#tags', tags!);
          await submit(page, 'form[action="/admin/links"] button[type=submit]');
          expect(new URL(page.url()).pathname).toBe(`/admin/links/${alias}`);
        }
        // "News" is the tag "news" already stored: it keeps its first spelling.
        expect(
          await page.locator('.facts__row', { hasText: 'Tags' }).locator('dd').innerText(),
        ).toBe('—');
        await page.goto('/admin/links/beta');
        expect(
          await page.locator('.facts__row', { hasText: 'Tags' }).locator('dd').innerText(),
        ).toBe('news, promo');
        expect(await page.inputValue('#tags')).toBe('news, promo');
        await expectNoViolations(page, javaScriptEnabled);
        await page.goto('/admin/links/alpha');
        expect(
          await page.locator('.facts__row', { hasText: 'Tags' }).locator('dd').innerText(),
        ).toBe('Launch, news');

        await page.goto('/admin');
        expect(await listedTags(page)).toEqual({
          '/alpha': 'Launch, news',
          '/beta': 'news, promo',
          '/gamma': '',
        });
        await expectNoViolations(page, javaScriptEnabled);

        // Filters: any of, all of, none of, ignoring case.
        expect(Object.keys(await filterBy(page, 'LAUNCH, promo', 'any')).sort()).toEqual([
          '/alpha',
          '/beta',
        ]);
        expect(Object.keys(await filterBy(page, 'news, Promo', 'all'))).toEqual(['/beta']);
        expect(Object.keys(await filterBy(page, 'news', 'none'))).toEqual(['/gamma']);
        await expectNoViolations(page, javaScriptEnabled);
        expect(Object.keys(await filterBy(page, 'launch, promo', 'all'))).toEqual([]);
        expect(await page.locator('main').innerText()).toContain('No link matches.');

        // The bulk form adds a tag to the selected links, then removes another (any case).
        await bulkTag(page, ['alpha', 'gamma'], 'sale', 'Enter');
        expect(await page.locator('.notice--success').innerText()).toContain(
          'The tag is added to the selected links.',
        );
        await expectNoViolations(page, javaScriptEnabled);
        expect(await listedTags(page)).toEqual({
          '/alpha': 'Launch, news, sale',
          '/beta': 'news, promo',
          '/gamma': 'sale',
        });
        await bulkTag(page, ['alpha', 'beta'], 'NEWS', 'untag');
        expect(await page.locator('.notice--success').innerText()).toContain(
          'The tag is removed from the selected links.',
        );
        expect(await listedTags(page)).toEqual({
          '/alpha': 'Launch, sale',
          '/beta': 'promo',
          '/gamma': 'sale',
        });

        // The Tags page: each tag in use, its links and their visits.
        await visit(server, 'alpha');
        await visit(server, 'alpha');
        await visit(server, 'gamma');
        await expect
          .poll(() => tagsPage(page), { timeout: 10_000 })
          .toEqual({ Launch: ['1', '2'], promo: ['1', '0'], sale: ['2', '3'] });
        expect(await page.locator('h1').innerText()).toBe('Tags');
        expect(await page.locator('.lede').innerText()).toContain('3 tags are on links');
        await expectNoViolations(page, javaScriptEnabled);

        // A tag of 33 characters in the bulk form is refused: the filtered list comes back with
        // the error at the tag field and the form as it was sent, and no link changes.
        expect(Object.keys(await filterBy(page, 'sale', 'any'))).toEqual(['/gamma', '/alpha']);
        await page.check('#pick-alpha');
        await page.check('#pick-gamma');
        await page.fill('#bulk-tag', 'x'.repeat(33));
        const refused = await submit(page, 'button[name=action][value=tag]');
        expect(refused?.status()).toBe(422);
        expect(await page.title()).toMatch(/^Error: /);
        expect(await page.getAttribute('#bulk-tag', 'aria-invalid')).toBe('true');
        expect(await page.getAttribute('#bulk-tag', 'aria-describedby')).toBe('bulk-tag-error');
        expect(await page.locator('#bulk-tag-error').innerText()).toContain(
          'is longer than 32 characters',
        );
        expect(await page.inputValue('#bulk-tag')).toBe('x'.repeat(33));
        expect(await page.isChecked('#pick-alpha')).toBe(true);
        expect(await page.isChecked('#pick-gamma')).toBe(true);
        expect(await page.inputValue('#tags')).toBe('sale');
        expect(await page.inputValue('#tagMode')).toBe('any');
        expect(await listedTags(page)).toEqual({ '/gamma': 'sale', '/alpha': 'Launch, sale' });
        await expectNoViolations(page, javaScriptEnabled);
        // Sent again from there, the form returns to the same filtered list.
        await page.fill('#bulk-tag', 'promo');
        await submit(page, 'button[name=action][value=untag]');
        const back = new URL(page.url());
        expect(back.pathname + back.search).toBe('/admin?tags=sale&done=untagged');
        expect(await page.locator('.notice--success').innerText()).toContain(
          'The tag is removed from the selected links.',
        );
        expect(await page.inputValue('#tags')).toBe('sale');
        expect(await listedTags(page)).toEqual({ '/gamma': 'sale', '/alpha': 'Launch, sale' });
        await page.goto('/admin');
        expect(await listedTags(page)).toEqual({
          '/alpha': 'Launch, sale',
          '/beta': 'promo',
          '/gamma': 'sale',
        });

        // An 11th tag in the New link form is refused at the field, and no link is made.
        await page.goto('/admin/new');
        await page.fill('#url', 'https://example.com/delta');
        await page.fill('#alias', 'delta');
        const eleven = Array.from({ length: 11 }, (_, i) => `t${i + 1}`).join(', ');
        await page.fill('#tags', eleven);
        await submit(page, 'form[action="/admin/links"] button[type=submit]');
        expect(await page.getAttribute('#tags', 'aria-invalid')).toBe('true');
        expect(await page.getAttribute('#tags', 'aria-describedby')).toContain('tags-error');
        expect(await page.locator('#tags-error').innerText()).toContain(
          'A link has at most 10 tags; 11 were given.',
        );
        expect(await page.inputValue('#tags')).toBe(eleven);
        expect(await page.title()).toMatch(/^Error: /);
        await expectNoViolations(page, javaScriptEnabled);

        // And a tag of 33 characters there too.
        await page.fill('#tags', `ok, ${'y'.repeat(33)}`);
        await submit(page, 'form[action="/admin/links"] button[type=submit]');
        expect(await page.getAttribute('#tags', 'aria-invalid')).toBe('true');
        expect(await page.locator('#tags-error').innerText()).toContain(
          'is longer than 32 characters',
        );
        expect((await page.goto('/admin/links/delta'))?.status()).toBe(404);
        expect(await tagsPage(page)).toEqual({
          Launch: ['1', '2'],
          promo: ['1', '0'],
          sale: ['2', '3'],
        });
        expect(problems).toEqual([]);
      } finally {
        await context.close();
        await server.stop();
      }
    });
  }
});
