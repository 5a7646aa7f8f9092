-- wrk script: POST one query body per request, cycling through a file of
-- bodies (one JSON request per line, written by bench/load/make_bodies.py).
--   SPINDLE_BODIES=bodies.jsonl SPINDLE_PATH=/collections/c/points/query \
--   wrk -t2 -c4 -d30s -s bench/load/query.lua http://127.0.0.1:6333
-- At the end one JSON line (prefixed "wrk-json ") with requests, errors
-- (sockets and non-2xx), QPS and latency percentiles in milliseconds.
-- Optional SPINDLE_API_KEY is sent as the api-key header.

local bodies_file = os.getenv("SPINDLE_BODIES")
local path = os.getenv("SPINDLE_PATH")
local api_key = os.getenv("SPINDLE_API_KEY")
if bodies_file == nil or path == nil then
  error("set SPINDLE_BODIES (file of JSON bodies) and SPINDLE_PATH (e.g. /collections/c/points/query)")
end

local threads = {}
local thread_no = 0

function setup(thread)
  thread:set("id", thread_no)
  thread_no = thread_no + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(bodies_file) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  if #bodies == 0 then error(bodies_file .. ": no request bodies") end
  -- Threads start at different offsets so they do not send the same query together.
  next_body = (id * 7919) % #bodies + 1
  bad_status = 0
  wrk.headers["Content-Type"] = "application/json"
  if api_key ~= nil and #api_key > 0 then wrk.headers["api-key"] = api_key end
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
    if bad_status <= 3 then io.stderr:write("wrk: HTTP " .. status .. ": " .. string.sub(body, 1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("bad_status") or 0) end
  local e = summary.errors
  local sock = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format(
    'wrk-json {"requests": %d, "seconds": %.3f, "qps": %.1f, "non_2xx": %d, "socket_errors": %d, ' ..
    '"mean_ms": %.3f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, secs, summary.requests / secs, bad, sock,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
