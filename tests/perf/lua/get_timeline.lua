-- GET /{n}/contract_timeline over the seeded contracts.
-- args: contract count, contract prefix, thread count.
local n, contracts, prefix, threads = 0, 1, "t", 1

function init(args)
  contracts, prefix, threads = tonumber(args[1]), args[2], tonumber(args[3])
end

function request()
  local k = n * threads + tid
  n = n + 1
  return wrk.format("GET", "/" .. prefix .. (k % contracts) .. "/contract_timeline")
end
