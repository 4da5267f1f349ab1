// The curve of `npm run bench`: what the redirect does as the table grows (1,000 to 10,000,000
// links, uniform and Zipf popularity), its cold starts, and the targets it is held to; with the
// report's formatting helpers, shared with run.mjs. bench/README.md explains the method.
import fs from 'node:fs';

/** The table sizes of a full run. */
export const CURVE_SIZES = [1_000, 100_000, 1_000_000, 10_000_000];
/** The exponent of the skewed loads: rank k asked for with probability ∝ k^-s. */
export const ZIPF_S = 1.1;
export const DISTRIBUTIONS = [
  { key: 'uniform', label: 'uniform', zipf: undefined },
  { key: 'zipf', label: `Zipf ${ZIPF_S}`, zipf: ZIPF_S },
];
/** The largest table the codes can name: `b` and seven hex digits. */
const MAX_SIZE = 0x10000000;

/** `--sizes 1000,100000,…`: whole numbers, ascending, without repeats. */
export function parseSizes(text) {
  const sizes = [
    ...new Set(text.split(',').map((part) => Number(part.trim().replaceAll('_', '')))),
  ];
  for (const size of sizes) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) {
      throw new Error(`--sizes: ${size} is not a table size (1 to ${MAX_SIZE})`);
    }
  }
  return sizes.sort((a, b) => a - b);
}

export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '–'),
  ms: (n) => (Number.isFinite(n) ? n.toFixed(2) : '–'),
  mb: (n) => (Number.isFinite(n) ? n.toFixed(0) : '–'),
  gb: (bytes) => (Number.isFinite(bytes) ? (bytes / 2 ** 30).toFixed(1) : '–'),
  /** A file's size: 3.2 GB, 305 MB, 0.4 MB. */
  size: (bytes) => {
    if (!Number.isFinite(bytes)) return '–';
    const mb = bytes / 2 ** 20;
    if (mb >= 1024) return `${(mb / 1024).toFixed(1)} GB`;
    return `${mb >= 10 ? mb.toFixed(0) : mb.toFixed(1)} MB`;
  },
  pct: (n) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)}%` : '–'),
};

export function markdownTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** Bytes free for an unprivileged writer on the file system of `dir`. */
export function diskFree(dir) {
  const stats = fs.statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** The name of a curve server (without distribution) or of a curve row. */
export function curveName(build, size, distribution) {
  const prefix = build.key === 'before' ? 'before: ' : '';
  return `${prefix}snip ${fmt.int(size)} links${distribution ? `, ${distribution.label}` : ''}`;
}

/**
 * Minutes a run should take, from its loads and an allowance for seeding and starting: printed
 * at the start, so nobody is surprised. `otherTargets`: the loads beside the curve's, per tool.
 */
export function estimateMinutes({
  sizes,
  builds,
  rounds,
  duration,
  warmUp,
  tools,
  otherTargets,
  postgres,
  coldStartsFor,
}) {
  const curveTargets = sizes.length * DISTRIBUTIONS.length * builds.length;
  const perLoad = 0.7; // spawning the tool, reading /proc, polling
  let seconds = 0;
  for (const tool of tools) {
    const targets = otherTargets + curveTargets + (postgres && tool === 'wrk' ? 1 : 0);
    seconds += rounds * targets * (duration + perLoad);
  }
  seconds += (otherTargets + curveTargets + (postgres ? 1 : 0)) * (warmUp + perLoad);
  if (tools.includes('wrk')) seconds += rounds * (1 + sizes.length) * (duration + perLoad);
  seconds += rounds * tools.length * 2 * (duration + perLoad); // 404s and creations
  if (postgres) seconds += rounds * (duration + perLoad) + 20;
  for (const size of sizes) {
    // Seeding (about 10 µs a link here, plus a launch to migrate) and 2 cold starts a round.
    seconds += builds.length * (2 + size * 10e-6);
    seconds += builds.length * coldStartsFor(size) * 2 * (1.5 + size * 20e-9);
  }
  return (seconds + 30) / 60;
}

/**
 * Prints the curve (medians over the rounds, "before" beside "after"), the cold starts, and the
 * issue's targets with the measured figures. `rows` are run.mjs's load rows; those of the curve
 * carry `curve: { build, size, distribution }`. `otherLoads`: every other load of this build
 * (diagnostics, 404s, creations), whose errors count for the zero-errors target.
 */
export function curveReport({
  print,
  rows,
  builds,
  sizes,
  skipped,
  seeding,
  coldStarts,
  memory,
  tools,
  connections,
  otherLoads,
}) {
  for (const line of skipped) print(`${line}.`);
  if (skipped.length > 0) print();
  if (sizes.length === 0) return;

  const own = (build, size, distribution, tool) =>
    rows.filter(
      (r) =>
        r.curve &&
        r.curve.build === build &&
        r.curve.size === size &&
        r.curve.distribution === distribution &&
        r.tool === tool,
    );
  const stat = (build, size, distribution, tool) => {
    const runs = own(build, size, distribution, tool);
    if (runs.length === 0) return null;
    return {
      rps: median(runs.map((r) => r.rps)),
      ofCeiling: median(runs.map((r) => r.ofCeiling)),
      p50: median(runs.map((r) => r.p50)),
      p99: Math.max(...runs.map((r) => r.p99)),
      errors: runs.reduce((n, r) => n + r.errors, 0),
      unexpected: runs.reduce((n, r) => n + r.unexpected, 0),
      rss: Math.max(...runs.map((r) => r.rss)),
      peak: Math.max(...runs.map((r) => r.peak)),
      cpu: median(runs.map((r) => r.cpuPerRequest)),
    };
  };
  const withBuild = builds.length > 1;
  const smallest = sizes[0];
  const table = [];
  for (const tool of tools) {
    for (const size of sizes) {
      for (const distribution of DISTRIBUTIONS) {
        for (const build of builds) {
          const s = stat(build.key, size, distribution.key, tool);
          if (s === null) continue;
          const base = stat(build.key, smallest, distribution.key, tool);
          const seeded = seeding[build.key][size];
          table.push([
            fmt.int(size),
            distribution.label,
            ...(withBuild ? [build.label] : []),
            tool,
            fmt.int(s.rps),
            fmt.pct(s.ofCeiling),
            fmt.ms(s.p50),
            fmt.ms(s.p99),
            s.errors,
            s.unexpected,
            fmt.mb(s.rss),
            fmt.mb(s.peak),
            fmt.int(s.cpu),
            size === smallest ? '' : fmt.pct(s.rps / base.rps),
            `${(seeded.ms / 1000).toFixed(1)} s, ${fmt.size(seeded.bytes)}`,
          ]);
        }
      }
    }
  }
  print(
    `The curve: one snip per table size${withBuild ? ' and build' : ''}, every request a browser ` +
      `(visitors.txt: User-Agent, Accept-Language, Referer, X-Forwarded-For drawn at random), ` +
      `codes drawn uniformly or with Zipf popularity; medians over the runs (p50: median, p99: worst, ` +
      `errors summed). RSS MB: the largest RSS after a load of the row; peak: VmHWM. One process ` +
      `serves both distributions of its size, so its RSS after one includes what the other left. ` +
      `Seeded: the file's seeding (migrations by the build's own launch, then the links) and size.`,
  );
  print();
  print(
    markdownTable(
      [
        'links',
        'distribution',
        ...(withBuild ? ['build'] : []),
        'tool',
        'req/s',
        '% of node:http',
        'p50 ms',
        'worst p99 ms',
        'errors',
        'non-3xx',
        'RSS MB',
        'peak RSS MB',
        'CPU µs/req',
        `÷ ${fmt.int(smallest)} links`,
        'seeded',
      ],
      table,
    ),
  );
  print();

  const coldRows = [];
  for (const size of sizes) {
    for (const build of builds) {
      const { launch, bare } = coldStarts[build.key][size];
      coldRows.push([
        fmt.int(size),
        ...(withBuild ? [build.label] : []),
        fmt.int(median(bare)),
        fmt.int(Math.max(...bare)),
        fmt.int(median(launch)),
        fmt.int(Math.max(...launch)),
        bare.length,
      ]);
    }
  }
  print(
    'Cold start (spawn → first 200 from /healthz, nothing to migrate, nothing else running), ms:',
  );
  print();
  print(
    markdownTable(
      [
        'links',
        ...(withBuild ? ['build'] : []),
        'server alone median',
        'max',
        'scripts/launch.sh median',
        'max',
        'starts',
      ],
      coldRows,
    ),
  );
  print();
  print(
    'RSS of each curve server after all its loads: ' +
      builds
        .flatMap((build) =>
          sizes.map((size) => {
            const m = memory[build.key][size];
            return `${curveName(build, size)} ${fmt.mb(m.rss)} MB (peak ${fmt.mb(m.peak)} MB)`;
          }),
        )
        .join('; ') +
      '.',
  );
  print();

  // ---- the targets ----
  const tool = tools[0]; // wrk when there is one: the measure
  const MILLION = 1_000_000;
  const notMeasured = (size) => `not measured (${fmt.int(size)} links not in this run)`;
  const evaluate = (build) => {
    const results = [];
    const ofCeilingTarget = (size, distribution, min) => {
      const s = stat(build, size, distribution, tool);
      if (s === null) return [notMeasured(size), '–'];
      return [`${fmt.pct(s.ofCeiling)} (${fmt.int(s.rps)} req/s)`, s.ofCeiling >= min];
    };
    results.push(ofCeilingTarget(MILLION, 'uniform', 0.5));
    results.push(ofCeilingTarget(MILLION, 'zipf', 0.7));
    const upToMillion = rows.filter(
      (r) => r.curve && r.curve.build === build && r.curve.size <= MILLION && r.tool === tool,
    );
    if (upToMillion.length === 0) results.push([notMeasured(MILLION), '–']);
    else {
      const worst = upToMillion.reduce((a, b) => (b.p99 > a.p99 ? b : a));
      results.push([
        `worst ${fmt.ms(worst.p99)} ms (${worst.target}, run ${worst.round})`,
        worst.p99 < 15,
      ]);
    }
    const counted = [
      ...rows.filter((r) =>
        build === 'after' ? r.curve?.build !== 'before' : r.curve?.build === build,
      ),
      ...(build === 'after' ? otherLoads : []),
    ];
    const errors = counted.reduce((n, r) => n + r.errors, 0);
    const unexpected = counted.reduce((n, r) => n + r.unexpected, 0);
    results.push([
      `${fmt.int(errors)} errors, ${fmt.int(unexpected)} unexpected statuses in ${fmt.int(counted.length)} loads`,
      errors === 0 && unexpected === 0,
    ]);
    const m = memory[build][MILLION];
    if (m === undefined) results.push([notMeasured(MILLION), '–']);
    else {
      const after = DISTRIBUTIONS.map((d) => {
        const s = stat(build, MILLION, d.key, tool);
        return `${d.label} ${fmt.mb(s?.rss)}`;
      });
      results.push([
        `peak ${fmt.mb(m.peak)} MB (after loads: ${after.join(', ')} MB)`,
        m.peak <= 200,
      ]);
    }
    const cold = coldStarts[build][MILLION];
    for (const [which, limit] of [
      ['bare', 300],
      ['launch', 500],
    ]) {
      if (cold === undefined) results.push([notMeasured(MILLION), '–']);
      else {
        const ms = median(cold[which]);
        results.push([
          `median ${fmt.int(ms)} ms (max ${fmt.int(Math.max(...cold[which]))})`,
          ms <= limit,
        ]);
      }
    }
    results.push(ofCeilingTarget(1_000, 'uniform', 0.75));
    return results;
  };
  const names = [
    '1,000,000 links, uniform: ≥ 50% of node:http',
    `1,000,000 links, Zipf ${ZIPF_S}: ≥ 70% of node:http`,
    `p99 < 15 ms at ${connections} connections, every curve row up to 1,000,000 links`,
    'zero errors (and no unexpected status)',
    'RSS ≤ 200 MB with 1,000,000 links, either distribution',
    'cold start, server alone, 1,000,000 links: ≤ 300 ms',
    'cold start, scripts/launch.sh, 1,000,000 links: ≤ 500 ms',
    '1,000 links, uniform: ≥ 75% of node:http',
  ];
  const verdict = (met) => (met === '–' ? '–' : met ? 'met' : '**not met**');
  const results = builds.map((b) => evaluate(b.key));
  print(`The targets (${tool}, medians over the runs; the curve's rows above):`);
  print();
  print(
    markdownTable(
      [
        'target',
        ...builds.flatMap((b) =>
          withBuild ? [`${b.label}: measured`, `${b.label}: met?`] : ['measured', 'met?'],
        ),
      ],
      names.map((name, i) => [name, ...results.flatMap((r) => [r[i][0], verdict(r[i][1])])]),
    ),
  );
  print();
}
