--[[
  Move a claim's expiry along with its lease (after each successful renew).

  KEYS[1] claims hash
  ARGV[1] item index
  ARGV[2] fence
  ARGV[3] new expiry (epoch ms)

  Returns: 1 extended; 0 the claim is not this fence's any more.
]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or string.match(current, '^(%d+):') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
return 1
