--[[
  Let an item start on a site, or say how long it must wait (README "Sharing a fleet", DESIGN.md
  section 4 "Politeness per site"): at most `max` items of the site at once, at least `delay` ms
  between two starts, fleet-wide. Holders past their expiry (a worker that died, a renewal that
  stopped) are dropped first: their slots come back by themselves. A holder already there (the same
  item taken again) is refreshed, not counted twice. Time is the Redis server's.

  KEYS[1] the site's holders: sorted set holder -> expiry (epoch ms)
  KEYS[2] the site's state hash: lastStartAt, the admin's rule (adminMax, adminDelay), and a
          pause after a 429/503 (backoffMs, backoffUntil: `site-slow-1.lua`)
  KEYS[3] the site's waiters: sorted set holder -> when its wait ends + 5 s (items told to wait,
          counted as waiting until they start or that passes)
  ARGV[1] holder (the item's id)
  ARGV[2] how long the holder lasts without a renewal, ms
  ARGV[3] the batch's maxConcurrent, or '' for none
  ARGV[4] the batch's minDelayMs, or '' for none
  ARGV[5] how long an item waits when the site is full, ms (it is asked again then)

  The batch's and the admin's rules combine field by field, the stricter winning.
  Returns {1, 0} when the item may start (it holds a slot until released or expired), or
  {0, waitMs, reason} with reason 'backoff', 'full' or 'spacing'.
]]
--- @include "common"
local now = nowMs()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local function wait(ms, reason)
  redis.call('ZADD', KEYS[3], now + ms + 5000, ARGV[1])
  redis.call('PEXPIRE', KEYS[3], 86400000)
  return {0, ms, reason}
end

local adminMax, adminDelay, lastStartAt, backoffMs, backoffUntil =
  unpack(redis.call('HMGET', KEYS[2], 'adminMax', 'adminDelay', 'lastStartAt', 'backoffMs', 'backoffUntil'))
if backoffUntil then
  local untilMs = tonumber(backoffUntil)
  if now < untilMs then return wait(untilMs - now, 'backoff') end
  -- Quiet for four pauses since: the next 429 starts again from 1 s.
  if now > untilMs + 4 * tonumber(backoffMs or '0') then redis.call('HDEL', KEYS[2], 'backoffMs', 'backoffUntil') end
end
local max = nil
for _, v in ipairs({ARGV[3], adminMax or ''}) do
  if v ~= '' then
    local n = tonumber(v)
    if max == nil or n < max then max = n end
  end
end
local delay = 0
for _, v in ipairs({ARGV[4], adminDelay or ''}) do
  if v ~= '' and tonumber(v) > delay then delay = tonumber(v) end
end

local expiresAt = now + tonumber(ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], expiresAt, ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  return {1, 0}
end
if max ~= nil and redis.call('ZCARD', KEYS[1]) >= max then
  return wait(tonumber(ARGV[5]), 'full')
end
local last = tonumber(lastStartAt or '0') or 0
if delay > 0 and now < last + delay then
  return wait(last + delay - now, 'spacing')
end
redis.call('ZADD', KEYS[1], expiresAt, ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[2], 'lastStartAt', now)
-- A site's keys go a day after their last use, unless an admin's rule is kept in its state.
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[2]) * 2, 86400000))
if not adminMax and not adminDelay then redis.call('PEXPIRE', KEYS[2], 86400000) end
return {1, 0}
