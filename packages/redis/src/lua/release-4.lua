--[[
  End a lease, for its holder only and only before it expired, and record the outcome:
  success resets the failure streak; a failure that completes a streak of `threshold` puts the
  profile in quarantine for `quarantineMs`; otherwise the profile returns to the pool and becomes
  ready after `cooldownMs` (its ready-at score also orders the pool least-recently-used first).

  KEYS[1] available zset
  KEYS[2] leases zset
  KEYS[3] quarantine zset
  KEYS[4] the profile's hash
  ARGV[1] profile id
  ARGV[2] token
  ARGV[3] outcome: 'success', 'failure' or 'neutral' (not the profile's doing: stats untouched)
  ARGV[4] cooldown ms
  ARGV[5] failure threshold (consecutive failures that quarantine)
  ARGV[6] quarantine ms
  ARGV[7] tag zset key prefix

  Returns: {quarantined (0|1), now}; -5 not the holder; -6 the lease expired.
]]
--- @include "common"

local id = ARGV[1]
local state, token, expires, failStreak = unpack(redis.call('HMGET', KEYS[4], 'state', 'token',
  'leaseExpiresAt', 'failStreak'))
if state ~= 'leased' or token ~= ARGV[2] then return -5 end
local now = nowMs()
if tonumber(expires) <= now then return -6 end

redis.call('ZREM', KEYS[2], id)
local streak = tonumber(failStreak) or 0
if ARGV[3] == 'success' then
  redis.call('HINCRBY', KEYS[4], 'successes', 1)
  streak = 0
elseif ARGV[3] == 'failure' then
  redis.call('HINCRBY', KEYS[4], 'failures', 1)
  streak = streak + 1
end
redis.call('HSET', KEYS[4], 'failStreak', streak, 'lastReleasedAt', now, 'updatedAt', now)

if ARGV[3] == 'failure' and streak >= tonumber(ARGV[5]) then
  local untilMs = now + tonumber(ARGV[6])
  redis.call('ZADD', KEYS[3], untilMs, id)
  redis.call('HSET', KEYS[4], 'state', 'quarantined', 'owner', '', 'token', '', 'leaseExpiresAt', '',
    'grantedAt', '', 'readyAt', '', 'quarantineUntil', untilMs,
    'quarantineReason', 'failed ' .. streak .. ' times in a row')
  return {1, now}
end
makeAvailable(KEYS[1], ARGV[7], KEYS[4], id, now + tonumber(ARGV[4]))
return {0, now}
