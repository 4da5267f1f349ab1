-- wrk script: every request asks for a random code of the seeded table, with a browser's
-- User-Agent so snip counts it as a visit, and every answer's status is checked.
--   wrk ... -s codes.lua URL -- <expected status> <prefix> <count> [post <form body> | bot]
-- Codes are <prefix> followed by a random index below <count> in seven hex digits, as
-- bench/seed-links.mjs wrote them. With `post`, every request posts the form body to the URL's path;
-- with `bot`, requests come from a crawler, so snip does not count them (a diagnostic only).
local expected, prefix, count, post_body
-- Global, not local: done() reads it from each thread with thread:get().
unexpected = 0
local threads = {}

wrk.headers["User-Agent"] =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1])
  prefix = args[2]
  count = tonumber(args[3])
  if args[4] == "bot" then
    wrk.headers["User-Agent"] = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
  end
  if args[4] == "post" then
    post_body = args[5]
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.headers["Sec-Fetch-Site"] = "same-origin"
  end
  math.randomseed(os.time())
end

function request()
  if post_body then
    return wrk.format(nil, nil, nil, post_body)
  end
  return wrk.format(nil, string.format("/%s%07x", prefix, math.random(0, count - 1)))
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
  end
end

-- One JSON line the bench runner reads: latency in microseconds.
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"p50":%d,"p99":%d,"errors":%d,"unexpected":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, bad))
end
