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
--- @include "publish-once"
return publishOnce(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
