-- wrk script of the WaitingRoom benchmarks (bench/run.sh).
--
--   wrk ... -s bench/wrk.lua URL -- [COOKIES [ACCEPT]]
--
-- COOKIES: a file of visitors, one a line; requests rotate through them (each thread starts at
--          its own offset), so every request is a known visitor. A line is a wr_token value, or
--          "PATH<tab>Cookie header" (bench/Tool prime: a waiter that keeps every cookie it was
--          given, polling its room's PATH). "-" or nothing: no cookie at all, so every request is
--          a new visitor (the arrival storm).
-- ACCEPT:  an Accept header to send (e.g. application/json for /_wr/status).
--
-- The requests are formatted once in init(), so the per-request cost in wrk is one table lookup,
-- the same for every target. done() prints one line "wrk-json {...}" with the exact percentiles
-- (latency:percentile) and the error counts; non_2xx_3xx is wrk's status error count (responses
-- with a status above 399: wrk counts nothing else as bad).

local requests = {}
local next_index = 0
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local file = args[1]
  local headers = {}
  if args[2] and args[2] ~= "" then headers["Accept"] = args[2] end
  if file and file ~= "-" then
    for line in io.lines(file) do
      if #line > 0 then
        local path, cookie = line:match("^([^\t]+)\t(.*)$")
        local h = { ["Cookie"] = cookie or ("wr_token=" .. line) }
        for k, v in pairs(headers) do h[k] = v end
        requests[#requests + 1] = wrk.format("GET", path or wrk.path, h)
      end
    end
    if #requests == 0 then error("no cookies in " .. file) end
  else
    requests[1] = wrk.format("GET", wrk.path, headers)
  end
  next_index = ((offset or 0) * 7919) % #requests
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function done(summary, latency, requests_)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'wrk-json {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"bytes":%d,"non_2xx_3xx":%d,"socket_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout))
end
