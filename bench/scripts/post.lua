-- wrk script: POST one JSON chat body to WRK_PATH; every request the same, so the target's cost is all we see.
--   WRK_PATH          path to post to (default /v1/chat/completions)
--   WRK_BODY          file holding the body
--   WRK_DELAY_MS      pause before each request on a connection (paced load: latency without queueing); 0 = saturate
--   WRK_MAX_REQUESTS  stop after this many responses (run wrk with -t1; -d is then a cap): the same request count for
--                     every target and variant, where memory is compared; 0 = run for -d
local path = os.getenv("WRK_PATH") or "/v1/chat/completions"
local body_file = os.getenv("WRK_BODY")
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")
local max_requests = tonumber(os.getenv("WRK_MAX_REQUESTS") or "0")

local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = path
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key"

-- No request() function: wrk then formats this one request once (with the Host header it adds) and reuses it.

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

-- A fixed count: wrk itself only knows durations (thread:stop() still waits out -d), so after the last response
-- this prints "FIXED <responses> <non-2xx/3xx>" and exits the process; the runner takes the wall time itself.
if max_requests > 0 then
  local responses, errors = 0, 0
  function response(status, headers, body)
    responses = responses + 1
    if status >= 400 then
      errors = errors + 1
    end
    if responses >= max_requests then
      io.write(string.format("FIXED %d %d\n", responses, errors))
      io.stdout:flush()
      os.exit(0)
    end
  end
end
