// @ts-check
/**
 * `npm run test:mutation`: StrykerJS changes the URL policy, the management token, the link
 * service, the visit counter, the time and visit limits, the catalogue of link options, CSV writing, the cross-site check, the
 * QR drawing gate, batched writes, the UTF-8 check of bodies and tags one small edit at a time and runs the tests that cover each
 * edit; a mutant that no test notices "survives". Too slow for .ci/run on 2 cores;
 * docs/testing.md records the last score. Reports go to reports/mutation/.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: false },
  mutate: [
    'src/links/url-policy.ts',
    'src/links/manage-token.ts',
    'src/links/link-service.ts',
    'src/stats/visit-counter.ts',
    'src/links/link-limits.ts',
    'src/links/link-options.ts',
    'src/transfer/csv.ts',
    'src/http/same-origin.ts',
    'src/qr/render-gate.ts',
    'src/db/batched-writes.ts',
    'src/http/utf8-body.ts',
    'src/links/tags.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
