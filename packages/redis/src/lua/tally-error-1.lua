--[[
  Count one failure of a batch under its signature (code + step path + message shape) and say
  whether its full evidence should be kept: yes for the first `perError` of each signature.
  A batch keeps at most `maxSignatures` signatures; failures of further kinds are counted under
  the signature 'other' and keep no evidence (a message with unique parts the shape misses must
  not grow the hash without bound).

  KEYS[1] the batch's errors hash:
          '<sig>'       -> JSON {code, path, message} of the first failure with this signature
          '<sig>:n'     -> failures counted
          '<sig>:kept'  -> of them, those told to keep their evidence
          '<sig>:items' -> the first `sampleItems` item ids, newline separated
          '#signatures' -> how many signatures the hash holds
  ARGV[1] signature
  ARGV[2] JSON {code, path, message} of this failure
  ARGV[3] item id
  ARGV[4] perError: failures per signature that keep their evidence
  ARGV[5] sampleItems: item ids kept per signature
  ARGV[6] maxSignatures
  ARGV[7] how long the hash stays after its last write, seconds
  ARGV[8] JSON {code, path, message} for the 'other' signature

  Returns: 1 keep this failure's full evidence, 0 only count it.
]]
local sig = ARGV[1]
local example = ARGV[2]
local perError = tonumber(ARGV[4])
if redis.call('HEXISTS', KEYS[1], sig) == 0 then
  if tonumber(redis.call('HGET', KEYS[1], '#signatures') or '0') >= tonumber(ARGV[6]) then
    sig = 'other'
    example = ARGV[8]
    perError = 0
  end
  if redis.call('HSETNX', KEYS[1], sig, example) == 1 then
    redis.call('HINCRBY', KEYS[1], '#signatures', 1)
  end
end

local n = redis.call('HINCRBY', KEYS[1], sig .. ':n', 1)
if n <= tonumber(ARGV[5]) then
  local items = redis.call('HGET', KEYS[1], sig .. ':items')
  redis.call('HSET', KEYS[1], sig .. ':items', items and (items .. '\n' .. ARGV[3]) or ARGV[3])
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[7]))
if n <= perError then
  redis.call('HINCRBY', KEYS[1], sig .. ':kept', 1)
  return 1
end
return 0
