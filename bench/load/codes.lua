-- wrk script: every request asks for a random code of the seeded table, with a browser's
-- User-Agent so snip counts it as a visit, and every answer's status is checked.
--   wrk ... -s codes.lua URL -- <expected status> <prefix> <count> [post <form body> | bot | query <q>
--     | cookie <value> | agents | dnt]...
-- Codes are <prefix> followed by a random index below <count> in seven hex digits, as
-- bench/seed-links.mjs wrote them. With `post`, every request posts the form body to the URL's path;
-- with `bot`, requests come from a crawler, so snip does not count them (a diagnostic only); with
-- `query`, every code is followed by `?<q>`; with `cookie`, every request sends `Cookie: <value>`;
-- with `agents`, each request's User-Agent is one of 1,000 browser versions in turn (as many
-- visitors would send); with `dnt`, every request sends `DNT: 1`.
--
-- With SNIP_WRK_STOP_AFTER=<seconds> in the environment (the PostgreSQL row's exact-visits check),
-- no request is started after that many seconds, and each thread stops as soon as every request
-- it started has its answer. wrk itself, when its -d ends, drops the requests still in flight:
-- the server has counted them as visits, but wrk never counts their answers. Give wrk a -d a
-- second longer than <seconds>; `inflight` in the result says how many requests had no answer.
local expected, prefix, count, post_body
local query = ""
local agents = false
-- Globals, not locals: done() reads them from each thread with thread:get().
unexpected = 0
redirects = 0
started = 0
answered = 0
first_start = 0
last_answer = 0
local threads = {}

local stop_after = tonumber(os.getenv("SNIP_WRK_STOP_AFTER") or "")
local stopping = false
local now
if stop_after then
  -- A monotonic clock in seconds, through LuaJIT's FFI (Lua's os.time() has whole seconds only).
  local ffi = require("ffi")
  ffi.cdef([[
    typedef struct { long tv_sec; long tv_nsec; } snip_timespec;
    int clock_gettime(int clock_id, snip_timespec *tp);
  ]])
  local ts = ffi.new("snip_timespec")
  now = function()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
  end

  -- wrk asks delay() right before each request it sends (request() is also called once more,
  -- before the load, to check it, so requests are counted here): 0 ms until the deadline, then
  -- an hour, which leaves the connection idle once its last answer is in.
  function delay()
    if stopping then
      return 3600000
    end
    local t = now()
    if first_start == 0 then
      first_start = t
    end
    if t - first_start >= stop_after then
      stopping = true
      if answered == started then
        wrk.thread:stop()
      end
      return 3600000
    end
    started = started + 1
    return 0
  end
end

wrk.headers["User-Agent"] =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1])
  prefix = args[2]
  count = tonumber(args[3])
  local i = 4
  while args[i] do
    local option = args[i]
    if option == "bot" then
      wrk.headers["User-Agent"] = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
      i = i + 1
    elseif option == "query" then
      query = "?" .. args[i + 1]
      i = i + 2
    elseif option == "cookie" then
      wrk.headers["Cookie"] = args[i + 1]
      i = i + 2
    elseif option == "agents" then
      agents = true
      i = i + 1
    elseif option == "dnt" then
      wrk.headers["DNT"] = "1"
      i = i + 1
    elseif option == "post" then
      post_body = args[i + 1]
      wrk.method = "POST"
      wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
      wrk.headers["Sec-Fetch-Site"] = "same-origin"
      i = i + 2
    else
      error("codes.lua: unknown option " .. option)
    end
  end
  math.randomseed(os.time())
end

function request()
  if post_body then
    return wrk.format(nil, nil, nil, post_body)
  end
  local path = string.format("/%s%07x%s", prefix, math.random(0, count - 1), query)
  if agents then
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["User-Agent"] = string.format(
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.%d.0 Safari/537.36",
      math.random(0, 999))
    return wrk.format(nil, path, headers)
  end
  return wrk.format(nil, path)
end

function response(status, headers, body)
  answered = answered + 1
  if status == 302 then
    redirects = redirects + 1
  end
  if status ~= expected then
    unexpected = unexpected + 1
  end
  if now then
    last_answer = now()
    if stopping and answered == started then
      wrk.thread:stop()
    end
  end
end

-- One JSON line the bench runner reads: latency in microseconds. `redirects` counts the 302
-- answers; with SNIP_WRK_STOP_AFTER, `activeUs` is the time from the first request to the last
-- answer (wrk's own duration then includes the idle end) and `inflight` the requests never
-- answered (both 0 without it).
function done(summary, latency, requests)
  local bad, ok, inflight, active = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    ok = ok + thread:get("redirects")
    if stop_after then
      inflight = inflight + thread:get("started") - thread:get("answered")
    end
    active = math.max(active, thread:get("last_answer") - thread:get("first_start"))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"p50":%d,"p99":%d,"errors":%d,"unexpected":%d,' ..
      '"redirects":%d,"inflight":%d,"activeUs":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, bad, ok, inflight, math.floor(active * 1e6)))
end
