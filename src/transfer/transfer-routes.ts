import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { Router, type Request, type Response } from 'express';
import type { WriteGate } from '../db/write-gate.js';
import { HttpError } from '../http/http-error.js';
import { englishOf, text, type Text } from '../i18n/catalog.js';
import {
  FORMAT_LABELS,
  IMPORT_FORMATS,
  ImportFormatChoiceSchema,
  type ImportFormatChoice,
} from './import-formats.js';
import type { ImportReportStore } from './import-report-store.js';
import { exportLinks } from './link-export.js';
import {
  importLinks,
  importReportText,
  reportPages,
  type ImportOutcome,
  type ImportReport,
  type ImportSource,
} from './link-import.js';
import type { TransferStore } from './transfer-store.js';
import type { TagStore } from '../links/tag-store.js';
import type { Awaitable } from '../db/awaitable.js';
import type { Domain } from '../domains/domain.js';
import { importDomains } from './import-domains.js';

export type TransferDeps = {
  transfer: TransferStore;
  /** The links' tags, for the export's `tags` column. */
  tags: Pick<TagStore, 'tagsOf'>;
  /**
   * The links' domains, for the `domain` column (ADR 031): BASE_URL's host (canonical; null
   * without BASE_URL), and the added domains, read from the database once per export or import.
   */
  domains: { defaultHost: string | null; list: () => Awaitable<readonly Domain[]> };
  reports: ImportReportStore;
  now: () => number;
  maxUrlLength: number;
  write: WriteGate;
  /** How long an upload may take (IMPORT_UPLOAD_TIMEOUT_MS); shorter in tests. */
  uploadTimeoutMs: number;
  /** Called when links a failed import had written were taken back again. */
  linksUndone: () => void;
  /** Visits counted in memory and not yet written, which the export adds to each link. */
  pendingVisits: (linkId: number) => number;
  /** Told of each exported link with values no door accepts (written in the cells as stored). */
  onUnstorableLink?: (link: { code: string }, fields: string[]) => void;
  ownHosts: (req: Request) => string[];
  /** The admin's host blocklist (the same array until it changes). */
  blockedHosts: () => Promise<readonly string[]>;
  /** The blocklist with the reason each host was blocked for. */
  blocklist: () => Promise<readonly { host: string; reason: string }[]>;
};

/** An upload larger than this is refused whole (413): about 450,000 rows of a typical export. */
export const IMPORT_MAX_BYTES = 32 * 1024 * 1024;
/** More rows than this and the file is refused whole. */
export const IMPORT_MAX_ROWS = 200_000;

const FORMAT_CHOICES = [
  ['auto', 'Detect from the header row'],
  ...IMPORT_FORMATS.map((format) => [format, FORMAT_LABELS[format]]),
] as const;

const TOO_LARGE = text('transfer.tooLarge', { megabytes: IMPORT_MAX_BYTES / 1024 / 1024 });
const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain'];
/** What an import report's id looks like: 16 random bytes in base64url. */
const REPORT_ID = /^[A-Za-z0-9_-]{22}$/;
const BUSY = text('transfer.busy');

function tooSlow(timeoutMs: number): Text {
  const minutes = Math.round(timeoutMs / 60_000);
  return minutes >= 1
    ? text('transfer.tooSlowMinutes', { count: minutes })
    : text('transfer.tooSlowSeconds', { count: Math.round(timeoutMs / 1000) });
}

type Render = (res: Response, view: string, locals?: object, status?: number) => Promise<void>;

/**
 * `/admin/export.csv` and `/admin/import`: every link out as CSV, streamed page by page, and a
 * CSV file in — from a form's file upload (multipart/form-data) or as the request body
 * (`Content-Type: text/csv`, the format in `?format=`). Mounted behind the admin's sign-in.
 */
export function createTransferRoutes(deps: TransferDeps, render: Render): Router {
  const router = Router({ caseSensitive: true });

  router.get('/export.csv', async (_req, res) => {
    const day = new Date(deps.now()).toISOString().slice(0, 10);
    res.set('Cache-Control', 'no-store');
    res.attachment(`snip-links-${day}.csv`);
    res.type('text/csv; charset=utf-8');
    try {
      await exportLinks(deps.transfer, res, {
        now: deps.now(),
        pendingVisits: deps.pendingVisits,
        onUnstorableLink: deps.onUnstorableLink,
        tags: deps.tags,
        domains: {
          hosts: async () =>
            new Map((await deps.domains.list()).map((domain) => [domain.id, domain.host])),
        },
      });
    } catch (error) {
      // A client that goes away mid-download ends the export; nothing is left to answer.
      if ((error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      throw error;
    }
  });

  const page = (res: Response, locals: object, status = 200) =>
    render(
      res,
      'import',
      {
        formats: FORMAT_CHOICES,
        format: 'auto',
        maxMegabytes: IMPORT_MAX_BYTES / 1024 / 1024,
        maxRows: IMPORT_MAX_ROWS,
        report: null,
        reportId: null,

        problem: null,
        ...locals,
      },
      status,
    );

  router.get('/import', async (_req, res) => page(res, {}));

  // One import at a time on this machine: each holds a batch of rows and the upload's buffers.
  let importing = false;
  router.post('/import', async (req, res) => {
    if (importing) throw new HttpError(409, BUSY);
    importing = true;
    // A slow link may take minutes to send a large file (the server lets this route take that
    // long); past the limit the upload is stopped and the page says why.
    const slow = new AbortController();
    const timer = setTimeout(
      () => slow.abort(new HttpError(408, tooSlow(deps.uploadTimeoutMs))),
      deps.uploadTimeoutMs,
    );
    let format: ImportFormatChoice = 'auto';
    try {
      const [blockedHosts, blocklist, domains] = await Promise.all([
        deps.blockedHosts(),
        deps.blocklist(),
        deps.domains.list(),
      ]);
      const received = await receiveUpload(req, slow.signal, (source, chosen) => {
        format = chosen;
        return importLinks(
          source,
          {
            format: chosen,
            ownHosts: deps.ownHosts(req),
            blockedHosts,
            blockReasons: new Map(blocklist.map(({ host, reason }) => [host, reason])),
            // Every row's domain from this one reading of the list, never a query per row.
            domains: importDomains(domains, deps.domains.defaultHost),
            maxRows: IMPORT_MAX_ROWS,
          },
          {
            transfer: deps.transfer,
            now: deps.now,
            maxUrlLength: deps.maxUrlLength,
            write: deps.write,
            linksUndone: deps.linksUndone,
          },
        );
      });
      const { outcome } = received;
      // A script that asks for text or CSV (`Accept: text/plain`, `text/csv`) gets the report as
      // such, every row; a browser (or `*/*`) the page.
      const wants = req.accepts(['text/html', 'text/plain', 'text/csv']);
      if (wants === 'text/plain' || wants === 'text/csv') {
        if (!outcome.ok) {
          res.status(422).type('text/plain; charset=utf-8');
          res.send(`Nothing was imported. ${englishOf(outcome.problem.message)}\n`);
          return;
        }
        res.set('Cache-Control', 'no-store');
        try {
          if (wants === 'text/csv') {
            res.type('text/csv; charset=utf-8');
            return await deps.reports.send(outcome.report.id, res);
          }
          res.type('text/plain; charset=utf-8');
          const text = importReportText(
            summarise(outcome.report),
            reportPages(deps.transfer, outcome.report.id),
          );
          return await pipeline(Readable.from(text), res);
        } catch (error) {
          // A client that goes away mid-answer ends it; the links are imported all the same.
          if ((error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
          throw error;
        }
      }
      if (!outcome.ok) return await page(res, { format, problem: outcome.problem.message }, 422);
      await page(res, { format, report: summarise(outcome.report), reportId: outcome.report.id });
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 408) throw error;
      // The rest of the body is not waited for.
      res.set('Connection', 'close');
      await page(res, { format, problem: tooSlow(deps.uploadTimeoutMs) }, 408);
    } finally {
      clearTimeout(timer);
      importing = false;
      await deps.reports.sweep().catch(() => {});
    }
  });

  router.get('/import/reports/:id', async (req, res) => {
    const id = String(req.params.id).replace(/\.csv$/, '');
    if (!REPORT_ID.test(id) || !(await deps.reports.has(id))) {
      throw new HttpError(404, text('transfer.reportGone'));
    }
    res.set('Cache-Control', 'no-store');
    res.attachment(`snip-import-report.csv`);
    res.type('text/csv; charset=utf-8');
    try {
      await deps.reports.send(id, res);
    } catch (error) {
      // A client that goes away mid-download ends it; nothing is left to answer.
      if ((error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      throw error;
    }
  });

  return router;
}

/** What the page shows of a report: the totals, and its first rows, those not created first. */
function summarise(report: ImportReport) {
  return { format: FORMAT_LABELS[report.format], totals: report.totals, rows: report.rows };
}

type Importer = (source: ImportSource, format: ImportFormatChoice) => Promise<ImportOutcome>;

function formatChoice(value: string): ImportFormatChoice {
  const choice = ImportFormatChoiceSchema.safeParse(value);
  if (!choice.success) {
    throw new HttpError(400, text('transfer.chooseFormat', { formats: IMPORT_FORMATS.join(', ') }));
  }
  return choice.data;
}

/**
 * Reads the uploaded file and hands it to `run` as it arrives, so the file is never held whole.
 * A form sends the format field before the file (the form lists it first).
 */
async function receiveUpload(
  req: Request,
  slow: AbortSignal,
  run: Importer,
): Promise<{ outcome: ImportOutcome; format: ImportFormatChoice }> {
  if (req.is('multipart/form-data')) return readMultipart(req, slow, run);
  if (req.is(CSV_TYPES)) {
    const asked = req.query.format ?? 'auto';
    const format = formatChoice(typeof asked === 'string' ? asked : '');
    if (Number(req.get('content-length')) > IMPORT_MAX_BYTES) throw new HttpError(413, TOO_LARGE);
    return { outcome: await run(capped(req, slow), format), format };
  }
  throw new HttpError(415, text('transfer.sendCsv'));
}

function readMultipart(
  req: Request,
  slow: AbortSignal,
  run: Importer,
): Promise<{ outcome: ImportOutcome; format: ImportFormatChoice }> {
  return new Promise((resolve, reject) => {
    const unreadable = () => new HttpError(400, text('transfer.unreadableForm'));
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: 5, fieldSize: 1024, parts: 6, fileSize: IMPORT_MAX_BYTES },
      });
    } catch {
      // No boundary, or one busboy cannot read.
      return reject(unreadable());
    }
    let format = 'auto';
    let started = false;
    // The file has arrived whole only when the form around it has: an upload cut short ends
    // the file part too, and only the parser's error tells.
    const formRead = new Promise<void>((done, fail) => {
      parser.on('close', done);
      parser.on('error', () => fail(unreadable()));
    });
    formRead.catch(reject);
    parser.on('field', (name, value) => {
      if (name === 'format') format = value;
    });
    parser.on('file', (name, file, info) => {
      // A form whose file input was left empty still sends the part, with no file name.
      if (name !== 'file' || started || !info.filename) return void file.resume();
      started = true;
      let choice: ImportFormatChoice;
      try {
        choice = formatChoice(format);
      } catch (error) {
        file.resume();
        return reject(error);
      }
      run(capped(file, slow, formRead), choice).then(
        (outcome) => resolve({ outcome, format: choice }),
        reject,
      );
    });
    parser.on('close', () => {
      if (!started) reject(new HttpError(400, text('transfer.chooseFile')));
    });
    // An upload too slow to finish before the form's file part began.
    slow.addEventListener('abort', () => {
      if (!started) reject(slow.reason);
    });
    req.pipe(parser);
  });
}

/**
 * The file's chunks, refused as a whole (413) once it passes IMPORT_MAX_BYTES: the importer
 * stops on the error before it writes anything. busboy cuts a file at its `fileSize` limit and
 * marks it `truncated`; a request body is counted here. An upload cut short (the client went
 * away, a broken form: `complete` rejects) is a 400, and one still arriving when `slow` aborts
 * is a 408; nothing is imported either way. The stream is left as it is then (destroying the
 * request would take the socket, and the answer, with it).
 */
async function* capped(
  file: Readable & { truncated?: boolean },
  slow: AbortSignal,
  complete: Promise<void> = Promise.resolve(),
): AsyncGenerator<Buffer> {
  let bytes = 0;
  const chunks = (file as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const timedOut = new Promise<never>((_, reject) => {
    const stop = () => reject(slow.reason);
    if (slow.aborted) stop();
    else slow.addEventListener('abort', stop, { once: true });
  });
  // Nobody may be waiting for it when it fires.
  timedOut.catch(() => {});
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await Promise.race([chunks.next(), timedOut]);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, text('transfer.uploadEnded'));
    }
    if (next.done) break;
    bytes += next.value.length;
    if (bytes > IMPORT_MAX_BYTES) throw new HttpError(413, TOO_LARGE);
    yield next.value;
  }
  if (file.truncated) throw new HttpError(413, TOO_LARGE);
  await Promise.race([complete, timedOut]);
}
