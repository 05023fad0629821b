-- wrk script: POST real generated declarations to /v1/decisions, one per request
-- (BATCH=1, application/json) or BATCH lines per request (application/x-ndjson).
-- Env: DECLS (a JSON Lines file, e.g. from `bukong gen`), BATCH (default 1).
local file = os.getenv("DECLS")
local batch = tonumber(os.getenv("BATCH") or "1")
local bodies = {}
local index = 0
local errors = 0

function init(args)
  local lines = {}
  for line in io.lines(file) do
    if #line > 0 then lines[#lines + 1] = line end
  end
  -- Each thread starts at its own offset so that threads send different declarations.
  local offset = math.random(#lines)
  if batch == 1 then
    for i = 1, #lines do bodies[i] = lines[((i + offset) % #lines) + 1] end
    wrk.headers["Content-Type"] = "application/json"
  else
    local n = math.floor(#lines / batch)
    for b = 1, n do
      local chunk = {}
      for k = 1, batch do chunk[k] = lines[(((b - 1) * batch + k + offset) % #lines) + 1] end
      bodies[b] = table.concat(chunk, "\n") .. "\n"
    end
    wrk.headers["Content-Type"] = "application/x-ndjson"
  end
  wrk.method = "POST"
  wrk.path = "/v1/decisions"
end

function request()
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end

function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end

function done(summary, latency, requests)
  io.write(string.format(
    "requests %d in %.2f s: %.0f requests/s, %.0f decisions/s (batch %d); " ..
    "latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; non-200 %d, socket errors %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.requests * batch / (summary.duration / 1e6), batch,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
