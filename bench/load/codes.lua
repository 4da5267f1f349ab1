-- wrk script: every request asks for a random code of the seeded table, with a browser's
-- User-Agent so snip counts it as a visit, and every answer's status is checked.
--   wrk ... -s codes.lua URL -- <expected status> <prefix> <count> [post <form body> | bot | query <q>
--     | cookie <value> | agents | dnt | zipf <s> | browsers <visitors file>]...
-- Codes are <prefix> followed by a random index below <count> in seven hex digits, as
-- bench/seed-links.mjs wrote them. With `post`, every request posts the form body to the URL's path;
-- with `bot`, requests come from a crawler, so snip does not count them (a diagnostic only); with
-- `query`, every code is followed by `?<q>`; with `cookie`, every request sends `Cookie: <value>`;
-- with `agents`, each request's User-Agent is one of 1,000 browser versions in turn (as many
-- visitors would send); with `dnt`, every request sends `DNT: 1`.
-- With `zipf <s>`, the index is not uniform but drawn with Zipf popularity s (rank k with
-- probability k^-s / sum j^-s) and mapped to a row by a fixed permutation of the table, the same
-- sampler and permutation as bench/load/zipf.mjs (see there). With `browsers <file>`, each
-- request is a different browser: a User-Agent, an Accept-Language, a Referer (or none) and an
-- X-Forwarded-For address, each drawn at random from bench/load/visitors.txt.
--
-- With SNIP_WRK_STOP_AFTER=<seconds> in the environment (the PostgreSQL row's exact-visits check),
-- no request is started after that many seconds, and each thread stops as soon as every request
-- it started has its answer. wrk itself, when its -d ends, drops the requests still in flight:
-- the server has counted them as visits, but wrk never counts their answers. Give wrk a -d a
-- second longer than <seconds>; `inflight` in the result says how many requests had no answer.
local expected, prefix, count, post_body, zipf_s
local query = ""
local agents = false
local next_index -- a function returning a row index, uniform unless `zipf`
local browsers -- with `browsers`: { agent = {...}, language = {...}, referrer = {...}, address = {...} }
local browser_headers
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

-- ---- Zipf: the same sampler and permutation as bench/load/zipf.mjs ----

-- LuaJIT's math has neither log1p nor expm1: the classic accurate forms.
local function log1p(x)
  local u = 1 + x
  if u == 1 then
    return x
  end
  return math.log(u) * x / (u - 1)
end

local function expm1(x)
  if math.abs(x) < 1e-5 then
    return x + x * x / 2 + x * x * x / 6
  end
  return math.exp(x) - 1
end

local function helper1(x) -- log1p(x) / x
  if math.abs(x) > 1e-8 then
    return log1p(x) / x
  end
  return 1 - x * (0.5 - x * (1 / 3 - x * 0.25))
end

local function helper2(x) -- expm1(x) / x
  if math.abs(x) > 1e-8 then
    return expm1(x) / x
  end
  return 1 + x * 0.5 * (1 + (x / 3) * (1 + x * 0.25))
end

-- Ranks 1..n with probability k^-s / sum j^-s, by rejection-inversion.
local function zipf_sampler(n, s)
  local function h(x)
    return math.exp(-s * math.log(x))
  end
  local function big(x)
    local log_x = math.log(x)
    return helper2((1 - s) * log_x) * log_x
  end
  local function big_inverse(y)
    local t = y * (1 - s)
    if t < -1 then
      t = -1
    end
    return math.exp(helper1(t) * y)
  end
  local big_x1 = big(1.5) - 1
  local big_n = big(n + 0.5)
  local squeeze = 2 - big_inverse(big(2.5) - h(2))
  return function()
    while true do
      local u = big_n + math.random() * (big_x1 - big_n)
      local x = big_inverse(u)
      local k = math.floor(x + 0.5)
      if k < 1 then
        k = 1
      elseif k > n then
        k = n
      end
      if k - x <= squeeze or u >= big(k + 0.5) - h(k) then
        return k
      end
    end
  end
end

local function gcd(a, b)
  while b ~= 0 do
    a, b = b, a % b
  end
  return a
end

-- Row (0..n-1) of rank r (1..n): (a * (r - 1) + b) mod n, a the first number from n/phi up
-- coprime with n.
local function rank_permutation(n)
  local a = math.max(1, math.floor(n * 0.6180339887498949))
  while gcd(a, n) ~= 1 do
    a = a + 1
  end
  local b = math.floor(n / 3)
  return function(rank)
    return (a * (rank - 1) + b) % n
  end
end

-- ---- browsers ----

local function read_visitors(file)
  local lists = { agent = {}, language = {}, referrer = {}, address = {} }
  local handle = assert(io.open(file, "r"))
  for line in handle:lines() do
    local kind, value = line:match("^(%a+) (.+)$")
    if kind and lists[kind] then
      if kind == "address" then
        value = value:match("^(%S+)")
      end
      table.insert(lists[kind], value)
    end
  end
  handle:close()
  for kind, list in pairs(lists) do
    if #list == 0 then
      error("codes.lua: no " .. kind .. " in " .. file)
    end
  end
  return lists
end

local function pick(list)
  return list[math.random(1, #list)]
end

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
    elseif option == "zipf" then
      zipf_s = tonumber(args[i + 1])
      i = i + 2
    elseif option == "browsers" then
      browsers = read_visitors(args[i + 1])
      i = i + 2
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
  if zipf_s then
    local rank = zipf_sampler(count, zipf_s)
    local row_of = rank_permutation(count)
    next_index = function()
      return row_of(rank())
    end
  else
    next_index = function()
      return math.random(0, count - 1)
    end
  end
  if browsers then
    -- One table reused by every request: wrk.format() only reads it.
    browser_headers = {}
    for name, value in pairs(wrk.headers) do
      browser_headers[name] = value
    end
  end
end

function request()
  if post_body then
    return wrk.format(nil, nil, nil, post_body)
  end
  local path = string.format("/%s%07x%s", prefix, next_index(), query)
  if browsers then
    local headers = browser_headers
    headers["User-Agent"] = pick(browsers.agent)
    headers["Accept-Language"] = pick(browsers.language)
    local referrer = pick(browsers.referrer)
    if referrer == "-" then
      headers["Referer"] = nil
    else
      headers["Referer"] = referrer
    end
    headers["X-Forwarded-For"] = pick(browsers.address) .. "." .. math.random(1, 254)
    return wrk.format(nil, path, headers)
  end
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
