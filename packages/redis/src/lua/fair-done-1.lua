--[[
  Items that finished (or left BullMQ) give back their tenant's running slot; a tenant held back
  by its cap comes back to its queues. Repeating it is harmless.

  KEYS[1] the base, <prefix>:{fair}
  ARGV: pairs of tenant, "<queue>\t<item id>" (an empty member only re-checks the tenant's cap)
  Returns how many running slots were given back.
]]
--- @include "fair"
local B = KEYS[1]
local freed = 0
local seen = {}
for i = 1, #ARGV, 2 do
  local t, member = ARGV[i], ARGV[i + 1]
  if member ~= '' then freed = freed + redis.call('ZREM', B .. ':running:' .. t, member) end
  seen[t] = true
end
-- Once per tenant: a cap is re-checked after all of its slots of this call came back.
for t in pairs(seen) do fairUncap(B, t) end
return freed
