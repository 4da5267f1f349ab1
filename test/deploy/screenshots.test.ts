import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { screenshotsDir } from '../e2e/screenshots.js';

// `npm run test:e2e` on a clean checkout must leave it clean: the committed screenshots in
// docs/screenshots/ are rewritten only when UPDATE_SCREENSHOTS=1 asks (docs/testing.md).

const E2E = path.resolve('test/e2e');

describe('the browser tests’ screenshots', () => {
  it('when UPDATE_SCREENSHOTS is not 1, then they go to reports/ (ignored by git), not docs/screenshots/', () => {
    for (const env of [{}, { UPDATE_SCREENSHOTS: '' }, { UPDATE_SCREENSHOTS: '0' }]) {
      expect(screenshotsDir(env)).toBe(path.resolve('reports/screenshots'));
    }
    expect(fs.readFileSync('.gitignore', 'utf8').split('\n')).toContain('reports/');
  });

  it('when UPDATE_SCREENSHOTS=1, then they replace the committed ones', () => {
    expect(screenshotsDir({ UPDATE_SCREENSHOTS: '1' })).toBe(path.resolve('docs/screenshots'));
    expect(
      fs.readdirSync('docs/screenshots').filter((f) => f.endsWith('.png')).length,
    ).toBeGreaterThan(0);
  });

  it('when a browser test takes one, then it asks screenshots.ts where, and names no folder itself', () => {
    const files = fs.readdirSync(E2E).filter((f) => f.endsWith('.ts') && f !== 'screenshots.ts');
    const offenders: string[] = [];
    let calls = 0;
    for (const file of files) {
      const source = fs.readFileSync(path.join(E2E, file), 'utf8');
      if (source.includes('docs/screenshots')) offenders.push(`${file} names docs/screenshots`);
      for (const call of source.matchAll(/\.screenshot\(\{\s*path:\s*([^,\n]+)/g)) {
        calls += 1;
        if (!call[1]!.startsWith('screenshotFile(')) offenders.push(`${file}: ${call[0]}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(calls).toBeGreaterThan(0);
  });
});
