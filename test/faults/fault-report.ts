import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

/**
 * What each fault test reports into, so `npm run test:faults` can end with one summary line
 * (test/faults/fault-summary.ts prints it). Test files run in separate workers, so reports go
 * through files in a folder the global set-up provides.
 */

/** Every fault the suite makes snip survive, in the order the summary lists them. */
export const FAULTS = [
  'kill -9 during link creation',
  'disk full',
  'write lock held past busy_timeout',
  'SIGTERM under load',
  'SIGINT under load',
  'broken migration',
  'database file deleted',
  'database folder read-only',
  'slow and greedy clients',
  'a ban of 10 000 links while visitors follow another',
  'three large imports under the memory limit',
  'kill -9 during an import',
  'QR codes as fast as they can be asked for',
  'kill -9 while visits go to the visit log',
  'SIGTERM while visits go to the visit log',
  'kill -9 of snip and Litestream, then the volume lost',
  'SIGTERM under Litestream, then the volume lost',
] as const;

export type FaultName = (typeof FAULTS)[number];

export type FaultCounts = {
  /** Requests snip answered while the fault was on (load, visitors, checks). */
  requests: number;
  /** Of those, answers that were wrong: an unexpected status, a 5xx other than 503, a cut body. */
  errors: number;
  /** Requests from BAD-INPUTS.md that were answered (each with its expected 4xx). */
  badInputs: number;
  /** Links whose creation was acknowledged (303). */
  acknowledged: number;
  /** Acknowledged links missing afterwards. */
  lost: number;
};

export type FaultReport = FaultCounts & {
  fault: FaultName;
  /** The one line the test prints: what it proved, with its figures. */
  figure: string | null;
  survived: boolean;
};

declare module 'vitest' {
  export interface ProvidedContext {
    faultReportDir: string;
  }
}

const EMPTY: FaultCounts = { requests: 0, errors: 0, badInputs: 0, acknowledged: 0, lost: 0 };

function reportFile(dir: string, fault: FaultName): string {
  return path.join(dir, `${fault.replace(/[^A-Za-z0-9]+/g, '-')}.json`);
}

/**
 * The report of one fault. Counts are saved as soon as they are known, before the assertions,
 * so a failing test still shows in the summary what it saw (lost links included); `survived`
 * is called after the last assertion.
 */
export function faultReport(fault: FaultName) {
  const dir = inject('faultReportDir');
  const report: FaultReport = { fault, figure: null, survived: false, ...EMPTY };
  const save = () => fs.writeFileSync(reportFile(dir, fault), JSON.stringify(report));
  save();
  return {
    add(counts: Partial<FaultCounts>): void {
      for (const key of Object.keys(EMPTY) as (keyof FaultCounts)[]) {
        report[key] += counts[key] ?? 0;
      }
      save();
    },
    counts(): FaultCounts {
      const { requests, errors, badInputs, acknowledged, lost } = report;
      return { requests, errors, badInputs, acknowledged, lost };
    },
    /** Prints the fault's figure and marks it survived. */
    survived(figure: string): void {
      report.figure = figure;
      report.survived = true;
      save();
      console.log(figure);
    },
  };
}

export function readReports(dir: string): FaultReport[] {
  return FAULTS.flatMap((fault) => {
    const file = reportFile(dir, fault);
    return fs.existsSync(file) ? [JSON.parse(fs.readFileSync(file, 'utf8')) as FaultReport] : [];
  });
}

/** The suite's last line, e.g. `faults: load held (…), 15 of 15 faults survived, …, 0 acknowledged links lost`. */
export function summaryLine(reports: FaultReport[]): string {
  const total = reports.reduce(
    (sum, r) => {
      for (const key of Object.keys(EMPTY) as (keyof FaultCounts)[]) sum[key] += r[key];
      return sum;
    },
    { ...EMPTY },
  );
  const survived = reports.filter((r) => r.survived).length;
  const load = `${total.errors === 0 ? 'load held' : 'load did NOT hold'} (${total.requests} requests, ${total.errors} errors)`;
  const notRun = FAULTS.length - reports.length;
  const faults = `${survived} of ${FAULTS.length} faults survived${notRun > 0 ? ` (${notRun} not run)` : ''}`;
  return `faults: ${load}, ${faults}, ${total.badInputs} bad inputs tried, ${total.lost} acknowledged links lost (of ${total.acknowledged})`;
}
