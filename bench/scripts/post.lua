-- wrk script: POST one JSON chat body to WRK_PATH; every request the same, so the target's cost is all we see.
--   WRK_PATH      path to post to (default /v1/chat/completions)
--   WRK_BODY      file holding the body
--   WRK_DELAY_MS  pause before each request on a connection (paced load: latency without queueing); 0 = saturate
local path = os.getenv("WRK_PATH") or "/v1/chat/completions"
local body_file = os.getenv("WRK_BODY")
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")

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
