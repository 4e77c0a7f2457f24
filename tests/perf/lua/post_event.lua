-- POST /event: each request a new, in-order start event.
-- args: base epoch seconds, contract count, contract prefix, thread count.
-- Request k (k = n * threads + tid, unique over threads) goes to contract k % contracts at
-- created_at base + k ms. With an even contract count each thread keeps to its own contracts,
-- so no two threads race on one contract and every contract sees strictly increasing times.
local types = {"supply_energy_start", "battery_optimization_start", "heatpump_optimization_start"}
local headers = {["Content-Type"] = "application/json"}
local n, base, contracts, prefix, threads = 0, 0, 1, "c", 1

function init(args)
  base, contracts, prefix, threads = tonumber(args[1]), tonumber(args[2]), args[3], tonumber(args[4])
end

function request()
  local k = n * threads + tid
  n = n + 1
  local created = os.date("!%Y-%m-%dT%H:%M:%S", base + math.floor(k / 1000)) .. string.format(".%03dZ", k % 1000)
  local body = string.format(
    '{"type": "%s", "contract_number": "%s%d", "date": "2024-03-03", "created_at": "%s"}',
    types[(math.floor(k / contracts) % 3) + 1], prefix, k % contracts, created)
  return wrk.format("POST", "/event", headers, body)
end
