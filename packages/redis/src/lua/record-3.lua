--[[
  Record an item's result: the first result wins, each item is counted once, and a write is
  accepted only under the item's current claim and before that claim (= its lease) expires.
  Fence 0 records without a lease, allowed only when no live claim exists. Fence -1 records
  whatever the claims say: the queue gave the job up for good (attempts or stalls exhausted), so
  no attempt can be recording it legitimately any more; first result still wins.
  Nothing is recorded for a cancelled batch (results recorded before the cancel stay).
  The write that completes the batch marks it completed and starts the retention clock.

  KEYS[1] batch meta hash (total, completed, failed, status)
  KEYS[2] results hash
  KEYS[3] claims hash
  ARGV[1] item index
  ARGV[2] fence
  ARGV[3] 'completed' or 'failed'
  ARGV[4] result JSON
  ARGV[5] retention of a finished batch's keys, seconds

  Returns: {code, total, completed, failed}: code 1 recorded; 0 duplicate (an earlier result
  stands); 3 refused, the batch is cancelled; -8 no such batch; -9 stale (claim taken over or
  expired).
]]
local function progress(code)
  local total, completed, failed = unpack(redis.call('HMGET', KEYS[1], 'total', 'completed', 'failed'))
  return {code, tonumber(total) or 0, tonumber(completed) or 0, tonumber(failed) or 0}
end

if redis.call('EXISTS', KEYS[1]) == 0 then return {-8, 0, 0, 0} end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return progress(0) end
if redis.call('HGET', KEYS[1], 'status') == 'cancelled' then return progress(3) end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = redis.call('HGET', KEYS[3], ARGV[1])
if ARGV[2] == '-1' then
  -- abandoned by the queue: no claim check
elseif ARGV[2] == '0' then
  if current then
    local expires = tonumber(string.match(current, ':(%d+)$'))
    if expires > now then return progress(-9) end
  end
else
  if not current then return progress(-9) end
  local fence, expires = string.match(current, '^(%d+):(%d+)$')
  if fence ~= ARGV[2] or tonumber(expires) <= now then return progress(-9) end
end

redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
local result = progress(1)
if result[3] + result[4] >= result[2] and redis.call('HGET', KEYS[1], 'status') ~= 'completed' then
  redis.call('HSET', KEYS[1], 'status', 'completed', 'finishedAt', now)
  for i = 1, 3 do redis.call('EXPIRE', KEYS[i], tonumber(ARGV[5])) end
end
return result
