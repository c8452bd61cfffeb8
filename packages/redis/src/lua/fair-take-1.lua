--[[
  The dispatcher takes up to N items of queue q, fairly: each from the tenant with the lowest pass
  (weighted stride scheduling: an item costs its tenant 1/weight), within a tenant from its
  highest-priority, oldest batch. A tenant at its cap (items running) steps aside until one of them
  finishes (fair-done-1.lua). Each item taken is in :dispatching:<q> with its job until the
  dispatcher says BullMQ has it (a crashed dispatcher's items are handed again by the next).
  O(log tenants) per turn of a tenant; a turn takes as many items of one batch as the tenant may
  have before its pass passes the next tenant's (all that are wanted when it is alone).

  KEYS[1] the base, <prefix>:{fair}
  ARGV[1] queue   ARGV[2] N   ARGV[3] now, ms
  Returns {item id, {"opts":…,"data":…}, …}.
]]
--- @include "fair"
local B, q, n, now = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3]
local TK = B .. ':tenants:' .. q
local out = {}
local taken, turns = 0, 0
while taken < n and turns < 4 * n + 16 do
  turns = turns + 1
  local top = redis.call('ZRANGE', TK, 0, 1, 'WITHSCORES')
  if #top == 0 then break end
  local t, pass = top[1], tonumber(top[2])
  local cfg = redis.call('HMGET', B .. ':cfg:' .. t, 'weight', 'cap')
  local weight = tonumber(cfg[1] or '1') or 1
  if weight <= 0 then weight = 1 end
  local cap = tonumber(cfg[2] or '0') or 0
  local RK = B .. ':running:' .. t
  local BK = B .. ':batches:' .. q .. ':' .. t
  local b = redis.call('ZRANGE', BK, 0, 0)[1]
  local running = 0
  if cap > 0 then running = redis.call('ZCARD', RK) end
  if not b then
    redis.call('ZREM', TK, t)
    redis.call('HSET', B .. ':pass:' .. q, t, pass)
  elseif cap > 0 and running >= cap then
    redis.call('ZREM', TK, t)
    redis.call('HSET', B .. ':pass:' .. q, t, pass)
    redis.call('SADD', B .. ':capped:' .. q, t)
    redis.call('SADD', B .. ':capped-in:' .. t, q)
  else
    -- How many this turn: up to where its pass would pass the next tenant's (ties go to the
    -- tenant first in order, as one item at a time would), within N, its cap and this batch.
    local k = n - taken
    if top[3] then
      local room = math.floor((tonumber(top[4]) - pass) * weight) + 1
      if room < k then k = room end
    end
    if cap > 0 and cap - running < k then k = cap - running end
    if k < 1 then k = 1 end
    local ik = B .. ':items:' .. b
    local entries = redis.call('LRANGE', ik, 0, k - 1)
    if #entries > 0 then redis.call('LTRIM', ik, #entries, -1) end
    if redis.call('LLEN', ik) == 0 then
      redis.call('ZREM', BK, b)
      redis.call('EXPIRE', B .. ':batch:' .. b, 86400)
    end
    local got = #entries
    if got > 0 then
      local opts = redis.call('HGET', B .. ':batch:' .. b, 'opts') or '{}'
      local runningArgs, dispatchArgs, dataArgs = {}, {}, {}
      for _, entry in ipairs(entries) do
        local tab = string.find(entry, '\t', 1, true)
        local id = string.sub(entry, 1, tab - 1)
        local value = '{"opts":' .. opts .. ',"data":' .. string.sub(entry, tab + 1) .. '}'
        runningArgs[#runningArgs + 1] = now
        runningArgs[#runningArgs + 1] = q .. '\t' .. id
        dispatchArgs[#dispatchArgs + 1] = now
        dispatchArgs[#dispatchArgs + 1] = id
        dataArgs[#dataArgs + 1] = id
        dataArgs[#dataArgs + 1] = value
        out[#out + 1] = id
        out[#out + 1] = value
      end
      redis.call('ZADD', RK, unpack(runningArgs))
      redis.call('ZADD', B .. ':dispatching:' .. q, unpack(dispatchArgs))
      redis.call('HSET', B .. ':data:' .. q, unpack(dataArgs))
      redis.call('HINCRBY', B .. ':waiting', t, -got)
      redis.call('HINCRBY', B .. ':queued', q, -got)
      -- The queue's virtual time: the pass the last item was taken at.
      redis.call('SET', B .. ':vt:' .. q, pass + (got - 1) / weight)
      local next = pass + got / weight
      if redis.call('ZCARD', BK) == 0 then
        redis.call('ZREM', TK, t)
        redis.call('HSET', B .. ':pass:' .. q, t, next)
      else
        redis.call('ZADD', TK, next, t)
      end
      taken = taken + got
    end
  end
end
return out
