-- A connected call ended: the operator goes to wrap-up.
-- KEYS[1] call hash, KEYS[2] operator hash, KEYS[3] wrap-ups zset, KEYS[4] free zset.
-- ARGV[1] now, ARGV[2] wrap-up ms, ARGV[3] transition table JSON, ARGV[4] ended TTL ms, ARGV[5] call id.
-- Returns {from, to, free, deadline}.
local c = hmap(KEYS[1])
if c == nil then return redis.error_reply('NOTFOUND call ' .. ARGV[5]) end
if c.state ~= 'connected' then return redis.error_reply('CONFLICT call ' .. c.id .. ' is ' .. c.state .. ', not connected') end
local h = hmap(KEYS[2])
if h == nil or h.call ~= c.id then return redis.error_reply('CONFLICT call ' .. c.id .. ' is not with operator ' .. (c.op or '?')) end
local now = tonumber(ARGV[1])
local from = opState(h)
h.call = ''; h.wrapUntil = tostring(now + tonumber(ARGV[2])); h.wrapCall = c.id
local to = opState(h)
if not allowed(ARGV[3], from, to) then return redis.error_reply('ILLEGAL operator ' .. h.id .. ' ' .. from .. ' ' .. to) end
local r = saveOp(KEYS[2], KEYS[4], from, h, { 'call', 'wrapUntil', 'wrapCall' }, now, true)
rcall('ZADD', KEYS[3], tonumber(h.wrapUntil), h.id)
rcall('HSET', KEYS[1], 'state', 'ended', 'endReason', 'completed')
rcall('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
r[4] = tonumber(h.wrapUntil)
return r
