-- Fair share between tenants (README "Sharing a fleet", DESIGN.md §4): shared by the fair-*.lua
-- scripts. Every key sits under one base (`<prefix>:{fair}`, one Cluster slot), built here from it:
--   :cfg:<t>           hash weight, cap (written by the API from FLEET_API_KEYS at each submit)
--   :tenants:<q>       sorted set: tenants of queue q with pending items, not at their cap -> pass
--   :pass:<q>          hash tenant -> pass while it is not in :tenants:<q>
--   :vt:<q>            the pass of the last item dispatched from q (the queue's virtual time)
--   :capped:<q>        set: tenants of q with pending items held back by their cap
--   :capped-in:<t>     set: the queues where tenant t is capped
--   :batches:<q>:<t>   sorted set: t's batches with pending items in q -> priority * 2^31 + seq (exact in a double)
--   :batch:<b>         hash q, tenant, opts (BullMQ job options, JSON), hwm, prio, seq, cancelled
--   :items:<b>         list: "<item id>\t<job JSON>" of b's pending items, in index order
--   :running:<t>       sorted set: "<q>\t<item id>" -> ms, t's items handed to BullMQ, not finished
--   :dispatching:<q>   sorted set: item id -> ms, taken by a dispatcher, not yet known in BullMQ
--   :data:<q>          hash: item id -> {"opts":…,"data":…} of those, to hand them again after a crash
--   :waiting           hash: tenant -> pending items
--   :queued            hash: queue -> pending items
--   :names             set: every tenant seen
local function fairRank(prio, seq)
  return tonumber(prio) * 2147483648 + tonumber(seq)
end

-- Puts tenant t back among q's tenants (or among the capped ones), not earlier than q's virtual
-- time: a tenant idle for a while gets no credit for it.
local function fairActivate(B, q, t)
  if redis.call('ZSCORE', B .. ':tenants:' .. q, t) then return end
  if redis.call('SISMEMBER', B .. ':capped:' .. q, t) == 1 then return end
  local cap = tonumber(redis.call('HGET', B .. ':cfg:' .. t, 'cap') or '0') or 0
  if cap > 0 and redis.call('ZCARD', B .. ':running:' .. t) >= cap then
    redis.call('SADD', B .. ':capped:' .. q, t)
    redis.call('SADD', B .. ':capped-in:' .. t, q)
    return
  end
  local pass = tonumber(redis.call('HGET', B .. ':pass:' .. q, t) or '0') or 0
  local vt = tonumber(redis.call('GET', B .. ':vt:' .. q) or '0') or 0
  if pass < vt then pass = vt end
  redis.call('ZADD', B .. ':tenants:' .. q, pass, t)
end

-- Tenant t is below its cap again (or has none): its capped queues get it back.
local function fairUncap(B, t)
  local cap = tonumber(redis.call('HGET', B .. ':cfg:' .. t, 'cap') or '0') or 0
  if cap > 0 and redis.call('ZCARD', B .. ':running:' .. t) >= cap then return end
  local queues = redis.call('SMEMBERS', B .. ':capped-in:' .. t)
  if #queues == 0 then return end
  redis.call('DEL', B .. ':capped-in:' .. t)
  for _, q in ipairs(queues) do
    redis.call('SREM', B .. ':capped:' .. q, t)
    fairActivate(B, q, t)
  end
end
