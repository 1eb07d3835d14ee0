-- Settle an offer. KEYS[1] operator hash, KEYS[2] call hash, KEYS[3] leases zset, KEYS[4] free zset.
-- ARGV[1] token, ARGV[2] result: answered | missed | caller_gone | expired, ARGV[3] now,
-- ARGV[4] transition table JSON, ARGV[5] ended-call TTL ms, ARGV[6] not-ready reason for missed.
-- Returns {outcome, from, to, free, attempts}: outcome connected | requeued | abandoned | stale.
local token, result, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local h = hmap(KEYS[1])
local c = hmap(KEYS[2])
if h == nil or c == nil or h.resv ~= token or c.token ~= token or c.state ~= 'offered' then
  return { 'stale' }
end
if result == 'expired' and (tonumber(h.lease) or 0) > now then return { 'stale' } end
local from = opState(h)
local outcome
local resetIdle = false
local fields = { 'resv', 'offer', 'lease' }
h.resv = ''; h.offer = ''; h.lease = ''
if result == 'answered' then
  outcome = 'connected'
  h.call = c.id
  fields[#fields + 1] = 'call'
elseif c.gone == '1' or result == 'caller_gone' then
  outcome = 'abandoned'
elseif result == 'missed' then
  outcome = 'requeued'
  h.rdy = '0'; h.reason = ARGV[6]
  fields[#fields + 1] = 'rdy'; fields[#fields + 1] = 'reason'
else
  outcome = 'requeued'
end
local to = opState(h)
if not allowed(ARGV[4], from, to) then
  return redis.error_reply('ILLEGAL operator ' .. h.id .. ' ' .. from .. ' ' .. to)
end
local r = saveOp(KEYS[1], KEYS[4], from, h, fields, now, resetIdle)
rcall('ZREM', KEYS[3], h.id)
if outcome == 'connected' then
  rcall('HSET', KEYS[2], 'state', 'connected', 'token', '')
elseif outcome == 'abandoned' then
  rcall('HSET', KEYS[2], 'state', 'ended', 'endReason', 'abandoned_in_queue', 'token', '', 'op', '')
  rcall('PEXPIRE', KEYS[2], tonumber(ARGV[5]))
else
  rcall('HSET', KEYS[2], 'state', 'queued', 'token', '', 'op', '')
end
return { outcome, r[1], r[2], r[3], tonumber(c.attempts) }
