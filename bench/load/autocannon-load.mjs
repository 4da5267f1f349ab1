// One autocannon load, run as its own process so the bench can pin it to its own core:
//   node autocannon-load.mjs '<json options>'   → prints one JSON line with the result.
// Requests are the same as codes.lua sends with wrk: random codes of the seeded table with a
// browser's User-Agent (followed by `?<query>` when one is given, with `Cookie: <cookie>` and
// `Host: <host>` when they are given; with `agents`, one of 1,000 browser versions in turn; with
// `dnt`, `DNT: 1`; with `zipf: s`, codes drawn with Zipf popularity s through zipf.mjs, as codes.lua
// does; with `browsers: <visitors file>`, each request a browser drawn from that file), or form
// posts.
import fs from 'node:fs';
import autocannon from 'autocannon';
import { zipfRows } from './zipf.mjs';

const options = JSON.parse(process.argv[2]);
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

const nextIndex = options.zipf
  ? zipfRows(options.count, options.zipf)
  : () => Math.floor(Math.random() * options.count);

function randomCode() {
  return options.prefix + nextIndex().toString(16).padStart(7, '0');
}

/** bench/load/visitors.txt: `<kind> <value>` lines (codes.lua reads the same file). */
function readVisitors(file) {
  const lists = { agent: [], language: [], referrer: [], address: [] };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^([a-z]+) (.+)$/.exec(line);
    if (match === null || !(match[1] in lists)) continue;
    lists[match[1]].push(match[1] === 'address' ? match[2].split(' ')[0] : match[2]);
  }
  for (const [kind, list] of Object.entries(lists)) {
    if (list.length === 0) throw new Error(`no ${kind} in ${file}`);
  }
  return lists;
}
const browsers = options.browsers ? readVisitors(options.browsers) : null;
const pick = (list) => list[Math.floor(Math.random() * list.length)];

/** A browser's headers for one request, drawn as codes.lua draws them. */
function browserHeaders() {
  const referrer = pick(browsers.referrer);
  return {
    'user-agent': pick(browsers.agent),
    'accept-language': pick(browsers.language),
    ...(referrer === '-' ? {} : { referer: referrer }),
    'x-forwarded-for': `${pick(browsers.address)}.${1 + Math.floor(Math.random() * 254)}`,
  };
}

const request = options.post
  ? {
      method: 'POST',
      path: new URL(options.url).pathname,
      body: options.post,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'same-origin',
      },
    }
  : {
      method: 'GET',
      setupRequest: (req) => {
        req.path = options.query ? `/${randomCode()}?${options.query}` : `/${randomCode()}`;
        if (browsers !== null) {
          const headers = { ...req.headers };
          delete headers.referer;
          req.headers = Object.assign(headers, browserHeaders());
        } else if (options.agents) {
          const version = Math.floor(Math.random() * 1000);
          req.headers = {
            ...req.headers,
            'user-agent': USER_AGENT.replace('142.0.0.0', `142.0.${version}.0`),
          };
        }
        return req;
      },
    };

const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.duration,
  headers: {
    'user-agent': USER_AGENT,
    ...(options.cookie ? { cookie: options.cookie } : {}),
    ...(options.host ? { host: options.host } : {}),
    ...(options.dnt ? { dnt: '1' } : {}),
  },
  requests: [request],
});

const answers = Object.values(result.statusCodeStats ?? {}).reduce((n, s) => n + s.count, 0);
const expected = result.statusCodeStats?.[String(options.expected)]?.count ?? 0;
const seconds = (new Date(result.finish).getTime() - new Date(result.start).getTime()) / 1000;
process.stdout.write(
  `${JSON.stringify({
    requests: answers,
    rps: answers / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    unexpected: answers - expected,
  })}\n`,
);
