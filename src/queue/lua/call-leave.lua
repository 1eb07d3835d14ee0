-- The caller leaves while waiting: hung up (abandoned) or sent elsewhere (transferred).
-- KEYS[1] call hash. ARGV[1] reason abandoned_in_queue | transferred, ARGV[2] ended TTL ms, ARGV[3] call id.
-- {'queue', jobId, caller}: was waiting, now ended; the job must be removed.
-- {'ringing', jobId, caller}: an offer is in progress; it settles as abandoned.
local c = hmap(KEYS[1])
if c == nil then return redis.error_reply('NOTFOUND call ' .. ARGV[3]) end
if c.state == 'queued' then
  rcall('HSET', KEYS[1], 'state', 'ended', 'endReason', ARGV[1])
  rcall('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return { 'queue', c.jobId, c.caller or '' }
end
if c.state == 'offered' then
  if ARGV[1] ~= 'abandoned_in_queue' then
    return redis.error_reply('CONFLICT call ' .. c.id .. ' is being offered to an operator')
  end
  if c.gone == '1' then return redis.error_reply('CONFLICT call ' .. c.id .. ' was already abandoned') end
  rcall('HSET', KEYS[1], 'gone', '1')
  return { 'ringing', c.jobId, c.caller or '' }
end
return redis.error_reply('CONFLICT call ' .. c.id .. ' is ' .. c.state .. ', not waiting')
