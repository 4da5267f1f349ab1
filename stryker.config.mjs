// @ts-check
/**
 * `npm run test:mutation`: StrykerJS changes the URL policy, the management token, the link
 * service and the visit counter one small edit at a time and runs the tests that cover each
 * edit; a mutant that no test notices "survives". Too slow for .ci/run on 2 cores; the README's
 * testing section records the last score. Reports go to reports/mutation/.
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
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
