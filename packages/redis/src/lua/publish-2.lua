--[[
  Append an event to the stream at most once per dedupe key (e.g. one `batch.completed` per batch,
  whichever worker or retry publishes it). The marker expires after `dedupeTtl`.

  KEYS[1] event stream
  KEYS[2] dedupe marker for this event
  ARGV[1] approximate MAXLEN of the stream
  ARGV[2] dedupe marker TTL, seconds
  ARGV[3] batch id ('' for none)
  ARGV[4] event JSON

  Returns: the stream id; or false (nil) when the marker was already set.
]]
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[2])) then return false end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'b', ARGV[3], 'e', ARGV[4])
