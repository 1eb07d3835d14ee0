-- End an operator's wrap-up: outcome submitted, or the deadline passed.
-- KEYS[1] operator hash, KEYS[2] wrap-ups zset, KEYS[3] free zset.
-- ARGV[1] by outcome | timeout, ARGV[2] now, ARGV[3] transition table JSON, ARGV[4] id,
-- ARGV[5] wrap-up call id expected by a timer ('' = any).
-- Returns {from, to, free, callId} or {'notdue'} / {'stale'} for timers.
local h = hmap(KEYS[1])
if h == nil then return redis.error_reply('NOTFOUND operator ' .. ARGV[4]) end
local now = tonumber(ARGV[2])
local from = opState(h)
if from ~= 'wrap_up' then
  if ARGV[1] == 'timeout' then return { 'stale' } end
  return redis.error_reply('CONFLICT operator ' .. h.id .. ' is not in wrap-up (' .. from .. ')')
end
if ARGV[5] ~= '' and h.wrapCall ~= ARGV[5] then return { 'stale' } end
if ARGV[1] == 'timeout' and tonumber(h.wrapUntil) > now then return { 'notdue' } end
local callId = h.wrapCall
h.wrapUntil = ''; h.wrapCall = ''
local to = opState(h)
if not allowed(ARGV[3], from, to) then return redis.error_reply('ILLEGAL operator ' .. h.id .. ' ' .. from .. ' ' .. to) end
local r = saveOp(KEYS[1], KEYS[3], from, h, { 'wrapUntil', 'wrapCall' }, now, true)
rcall('ZREM', KEYS[2], h.id)
r[4] = callId
return r
