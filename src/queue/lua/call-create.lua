-- A call joins the queue. KEYS[1] call hash.
-- ARGV id jobId priority category language caller queuedAt owner
local state = rcall('HGET', KEYS[1], 'state')
if state and state ~= 'ended' then
  return redis.error_reply('CONFLICT call ' .. ARGV[1] .. ' is already ' .. state)
end
rcall('DEL', KEYS[1])
rcall('HSET', KEYS[1], 'id', ARGV[1], 'jobId', ARGV[2], 'priority', ARGV[3], 'category', ARGV[4],
  'language', ARGV[5], 'caller', ARGV[6], 'queuedAt', ARGV[7], 'owner', ARGV[8], 'state', 'queued',
  'attempts', '0', 'op', '', 'token', '', 'gone', '0')
return 1
