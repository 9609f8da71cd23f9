-- wrk script for the control-plane benchmark; mirrors bench/workload.ts.
-- Environment: BENCH_SCENARIO = poll | report | mix | bare, BENCH_MACHINES = fleet size.
-- done() prints one JSON line prefixed with "BENCH_RESULT " for bench/run.ts to read.

local scenario = os.getenv("BENCH_SCENARIO") or "poll"
local machines = tonumber(os.getenv("BENCH_MACHINES") or "1000")

local function machine_id(i)
  return string.format("host-%06d", i)
end

-- Every tenth machine has no desired generation; polls go to the others.
local function polled_machine()
  local i = math.random(1, machines)
  if i % 10 == 0 then i = i - 1 end
  if i < 1 then i = 1 end
  return i
end

local NIX_BASE32 = "0123456789abcdfghijklmnpqrsvwxyz"

-- Same generator as storePath() in workload.ts (32-bit LCG over nix-base32).
local function store_path(i, generation)
  local state = (i * 2654435761 + generation * 40503 + 1) % 4294967296
  local chars = {}
  for k = 1, 32 do
    state = (state * 1664525 + 1013904223) % 4294967296
    local index = math.floor(state / 134217728) + 1
    chars[k] = NIX_BASE32:sub(index, index)
  end
  return string.format("/nix/store/%s-nixos-system-%s-25.05.%d", table.concat(chars), machine_id(i), 20250101 + generation)
end

local RACK_ROLES = { [0] = "web", [1] = "db", [2] = "cache" }

local function report_body(i)
  local id = machine_id(i)
  local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
  return string.format(
    '{"machine_id":"%s","current_generation":"%s","success":true,"message":"switched to generation","timestamp":"%s",'
      .. '"tags":["fleet:bench","rack:r%03d","%s"],"health":{"results":['
      .. '{"status":"pass","check_name":"systemd-units","duration_ms":12},'
      .. '{"status":"pass","check_name":"http:https://localhost/health","duration_ms":3},'
      .. '{"status":"pass","check_name":"command:check-disk","duration_ms":41}],'
      .. '"all_passed":true,"timestamp":"%s"},"agent_version":"0.1.0","uptime_seconds":86400}',
    id, store_path(i, 0), now, i % 250, RACK_ROLES[i % 3], now)
end

local REPORT_HEADERS = { ["Content-Type"] = "application/json" }

local function poll()
  return wrk.format("GET", "/api/v1/machines/" .. machine_id(polled_machine()) .. "/desired-generation")
end

local function report()
  local i = math.random(1, machines)
  return wrk.format("POST", "/api/v1/machines/" .. machine_id(i) .. "/report", REPORT_HEADERS, report_body(i))
end

local seeded = 0
function setup(thread)
  seeded = seeded + 1
  thread:set("seed", seeded)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

function request()
  if scenario == "report" then return report() end
  if scenario == "mix" and math.random() < 0.1 then return report() end
  return poll()
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"non2xx":%d,"errors":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), latency.max))
end
