/**
 * A strict reader of Prometheus's text exposition format (version 0.0.4), for tests: every line
 * must be a HELP, a TYPE or a sample of a family that has both, or reading fails. prom-client
 * writes this format but does not read it.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
export type Sample = { name: string; labels: Record<string, string>; value: number };

export type Scrape = {
  families: Map<string, { help: string; type: string }>;
  samples: Sample[];
  /** The value of the sample with exactly these labels, or undefined when there is none. */
  get(name: string, labels?: Record<string, string>): number | undefined;
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** As Prometheus reads them (Go's ParseFloat): NaN and Inf in any case; prom-client writes `Nan`. */
function parseValue(text: string): number {
  if (/^\+?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`);
  return Number(text);
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = LABEL.exec(rest);
    if (!match) throw new Error(`bad labels {${text}}`);
    const [whole, name, raw] = match;
    if (name! in labels) throw new Error(`label ${name} twice in {${text}}`);
    labels[name!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

export function parsePrometheusText(text: string): Scrape {
  const families = new Map<string, { help: string; type: string }>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      if (kind === 'HELP') helps.set(name!, rest!);
      else {
        if (!TYPES.has(rest!)) throw new Error(`bad type in: ${line}`);
        if (!helps.has(name!)) throw new Error(`TYPE before HELP in: ${line}`);
        families.set(name!, { help: helps.get(name!)!, type: rest! });
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample: ${line}`);
    const [, name, labels, value] = match;
    const family = [...families].find(([familyName, { type }]) =>
      (SUFFIXES[type] ?? ['']).some((suffix) => name === familyName + suffix),
    );
    if (!family) throw new Error(`sample of no declared family: ${line}`);
    samples.push({ name: name!, labels: parseLabels(labels ?? ''), value: parseValue(value!) });
  }
  return {
    families,
    samples,
    get(name, labels = {}) {
      const wanted = Object.entries(labels);
      return samples.find(
        (s) =>
          s.name === name &&
          Object.keys(s.labels).length === wanted.length &&
          wanted.every(([key, value]) => s.labels[key] === value),
      )?.value;
    },
  };
}
