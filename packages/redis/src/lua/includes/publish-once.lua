-- Append an event to the stream, once per dedupe marker (the rules: publish-2.lua). Shared by
-- publish-2 and record-publish-6. Returns the stream id, or false when the marker was already set.
local function publishOnce(streamKey, dedupeKey, maxLen, dedupeTtl, batchId, body)
  if not redis.call('SET', dedupeKey, '1', 'NX', 'EX', tonumber(dedupeTtl)) then return false end
  return redis.call('XADD', streamKey, 'MAXLEN', '~', maxLen, '*', 'b', batchId, 'e', body)
end
