import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DATE_OPTIONS, TIME_OPTIONS } from '../../src/i18n/formats.js';
import { findFreePort, startProcess, waitForHealthy } from '../support/server-process.js';
import { createTempDir, createTestDatabase } from '../support/test-app.js';

/**
 * Debian's package path; CI installs it in .ci/run. CHROMIUM_PATH points elsewhere (GitHub's
 * runners have Google Chrome). Playwright's own browser downloads are not used.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// The machine has no network beyond package registries: without the background-networking
// flags Chromium keeps trying to reach Google services and floods the log with refused connections.
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP_LIGHT = {
  viewport: { width: 1280, height: 800 },
  colorScheme: 'light',
} satisfies BrowserContextOptions;

export const MOBILE_DARK = {
  viewport: { width: 390, height: 844 },
  colorScheme: 'dark',
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 1,
} satisfies BrowserContextOptions;

/**
 * `describe` for tests that need Chromium. Without it they fail in CI (where a skipped browser
 * suite would pass silently) and are skipped elsewhere, each with a message saying why.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (fs.existsSync(CHROMIUM_PATH)) {
    describe(name, body);
    return;
  }
  const message = `Chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH).`;
  const ci = process.env.CI;
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`${message} CI is set, so the browser tests fail instead of skipping.`);
      });
    });
    return;
  }
  console.warn(`Skipping browser tests "${name}": ${message}`);
  describe.skip(name, body);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
}

/** The body the stand-in target site answers with. */
export const TARGET_BODY = 'target reached';

/**
 * Plays the target site https://example.com/ for `page` (there is no internet here).
 * Playwright's `route()` never sees a request that follows a redirect (microsoft/playwright#3993:
 * interception sits where the browser hands requests to the network stack, which follows
 * redirects itself), and a short link is nothing but a redirect. Chromium's own Fetch domain
 * does pause redirected requests, so the stand-in answers through a DevTools session.
 */
export async function serveTargetSite(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  cdp.on('Fetch.requestPaused', (event) => {
    cdp
      .send('Fetch.fulfillRequest', {
        requestId: event.requestId,
        responseCode: 200,
        responseHeaders: [{ name: 'Content-Type', value: 'text/plain; charset=utf-8' }],
        body: Buffer.from(TARGET_BODY).toString('base64'),
      })
      // A test that has seen what it needed may close the page before the stand-in answers a
      // request still paused (a favicon, say): nobody waits for that answer any more.
      .catch((error: unknown) => {
        if (!/closed/i.test(String(error))) throw error;
      });
  });
  await cdp.send('Fetch.enable', {
    patterns: [{ urlPattern: 'https://example.com/*', requestStage: 'Request' }],
  });
}

export type SnipServer = {
  baseUrl: string;
  /** The server's SQLite file, for checking what reached the disk. */
  databaseFile: string;
  output: () => string;
  stop: () => Promise<void>;
};

/**
 * A real `node dist/server.js` on a loopback port and a fresh, migrated temp database: the same
 * process a user runs. `env` adds settings such as BASE_URL.
 */
export async function startSnip(env: Record<string, string> = {}): Promise<SnipServer> {
  const dir = createTempDir();
  const file = path.join(dir, 'snip.sqlite3');
  createTestDatabase(file).close();
  const port = await findFreePort();
  const proc = startProcess('node', [path.resolve('dist/server.js')], {
    PORT: String(port),
    DATABASE_URL: `sqlite:${file}`,
    LOG_LEVEL: 'warn',
    ...env,
  });
  await waitForHealthy(port, proc);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    databaseFile: file,
    output: proc.output,
    async stop() {
      proc.child.kill('SIGTERM');
      await proc.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects what a person would never see but a broken page shows in the console: console
 * errors (Chromium reports CSP violations there) and uncaught exceptions, for every page of
 * the context.
 */
export function watchForProblems(context: BrowserContext): string[] {
  const problems: string[] = [];
  context.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location().url || message.page()?.url() || '?';
    // A 4xx page (404, 400, a refused form) is the answer under test, not a failure: Chromium
    // logs the document's own status as a "Failed to load resource" error. Any other resource
    // failing, and any 5xx, still counts.
    if (isOwnDocumentStatus(message.text(), where, message.page())) return;
    problems.push(`console error at ${where}: ${message.text()}`);
  });
  context.on('weberror', (error) => problems.push(`uncaught error: ${error.error().message}`));
  return problems;
}

function isOwnDocumentStatus(text: string, where: string, page: Page | null): boolean {
  return (
    /^Failed to load resource: the server responded with a status of 4\d\d\b/.test(text) &&
    page !== null &&
    where === page.url()
  );
}

// axe-core's browser bundle, injected into pages under test.
const AXE_SOURCE = fs.readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];

export type AxeSummary = {
  passes: number;
  incomplete: number;
  /** Rules axe could not decide on its own, e.g. contrast over a gradient; listed to review. */
  incompleteRules: string[];
  inapplicable: number;
  violations: { id: string; impact: string | null; help: string; targets: string[] }[];
  /** Every rule axe evaluated for the tags: passes + incomplete + inapplicable + violations. */
  rulesRun: number;
};

type AxeRule = {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown[] }[];
};
type AxeResults = {
  passes: AxeRule[];
  incomplete: AxeRule[];
  inapplicable: AxeRule[];
  violations: AxeRule[];
};
type AxePage = {
  document: unknown;
  axe: { run(context: unknown, options: unknown): Promise<AxeResults> };
};

/**
 * Runs axe-core's WCAG 2.0/2.1/2.2 A and AA rules on the page. The source goes in through
 * page.evaluate (the DevTools protocol), which the page's CSP does not govern: an injected
 * <script> tag would be refused by `script-src 'self'`, as it should be. The CSP stays on.
 */
export async function runAxe(page: Page): Promise<AxeSummary> {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async (tags) => {
    const win = globalThis as unknown as AxePage;
    const r = await win.axe.run(win.document, { runOnly: { type: 'tag', values: tags } });
    const strip = (rule: AxeRule) => ({
      id: rule.id,
      impact: rule.impact ?? null,
      help: rule.help,
      targets: rule.nodes.map((node) => JSON.stringify(node.target)),
    });
    return {
      passes: r.passes.length,
      incomplete: r.incomplete.map(strip),
      inapplicable: r.inapplicable.length,
      violations: r.violations.map(strip),
    };
  }, WCAG_TAGS);
  return {
    passes: results.passes,
    incomplete: results.incomplete.length,
    incompleteRules: results.incomplete.map((rule) => `${rule.id} at ${rule.targets.join(' ')}`),
    inapplicable: results.inapplicable,
    violations: results.violations,
    rulesRun:
      results.passes + results.incomplete.length + results.inapplicable + results.violations.length,
  };
}

/**
 * axe-core finds no violation on the page. It runs as a script in the page, so only where
 * JavaScript is on; the markup is the same without it.
 */
export async function expectNoViolations(page: Page, javaScriptEnabled: boolean): Promise<void> {
  if (!javaScriptEnabled) return;
  const axe = await runAxe(page);
  expect(axe.violations).toEqual([]);
}

/** Clicks a form's button and waits until the browser has left the page. */
export async function submitAndFollow(page: Page, button: string): Promise<void> {
  const leaving = page.url();
  await Promise.all([page.waitForURL((url) => url.href !== leaving), page.click(button)]);
}

/** The day the committed screenshots show as "today"; dates on the page are shifted to it. */
const SCREENSHOT_DAY = Date.UTC(2026, 10, 25);

/**
 * Replaces what differs on every run (the management token, the creation time, the chart's
 * dates) with fixed values, after axe has checked the real page, so that re-running the tests
 * only changes a screenshot when the design changed.
 */
export async function steadyForScreenshot(page: Page): Promise<void> {
  const now = new Date();
  const shiftMs =
    SCREENSHOT_DAY - Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  await page.evaluate(String.raw`(() => {
    const day = (d) => new Date(Date.parse(d + 'T00:00:00Z') + ${shiftMs}).toISOString().slice(0, 10);
    // Dates and times as the page's language writes them (src/i18n/formats.ts), for the last
    // 400 days: each becomes the same distance from the screenshots' day, at 09:41.
    const language = document.documentElement.lang || 'en';
    const dateFormat = new Intl.DateTimeFormat(language, ${JSON.stringify(DATE_OPTIONS)});
    const timeFormat = new Intl.DateTimeFormat(language, ${JSON.stringify(TIME_OPTIONS)});
    const escape = (s) => s.replace(/[.*+?^$${'{'}}()|[\]\\]/g, '\\$&');
    const today = Date.UTC(${now.getUTCFullYear()}, ${now.getUTCMonth()}, ${now.getUTCDate()});
    const shifted = [];
    for (let k = -400; k <= 1; k++) {
      const at = today + k * 86400000;
      const steady = at + ${shiftMs} + (9 * 60 + 41) * 60000;
      const pattern = escape(timeFormat.format(at)).replace('00:00', '\\d{2}:\\d{2}');
      shifted.push([new RegExp(pattern, 'g'), timeFormat.format(steady)]);
      shifted.push([new RegExp(escape(dateFormat.format(at)), 'g'), dateFormat.format(steady)]);
    }
    const intl = (text) => shifted.reduce((t, [pattern, steady]) => t.replace(pattern, steady), text);
    const fix = (text) => intl(text)
      .replace(/\b(\d{4}-\d{2}-\d{2})( \d{2}:\d{2} UTC)?/g, (_, d, t) => day(d) + (t ? ' 09:41 UTC' : ''))
      .replace(/(\/manage\/)[A-Za-z0-9_-]{20,}/g, '$1k3Vb8qXw2LmN7pRt5YcZ0aHdE4sJ');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) node.nodeValue = fix(node.nodeValue);
    for (const input of document.querySelectorAll('input')) input.value = fix(input.value);
  })()`);
}
