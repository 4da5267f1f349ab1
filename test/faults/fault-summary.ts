import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { FAULTS, readReports, summaryLine } from './fault-report.js';

/**
 * Global set-up of `npm run test:faults`: a folder the tests report into, and at the end each
 * fault's figure and the summary line, printed together after every file has run.
 */
export function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snip-faults-'));
  project.provide('faultReportDir', dir);
  return () => {
    const reports = readReports(dir);
    const lines = FAULTS.map((fault) => {
      const report = reports.find((r) => r.fault === fault);
      if (!report) return `  - ${fault}: not run`;
      return report.survived ? `  ✓ ${report.figure}` : `  ✗ ${fault}: did not survive`;
    });
    process.stdout.write(`\n${lines.join('\n')}\n${summaryLine(reports)}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
