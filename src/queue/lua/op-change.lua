-- Console and softphone changes: login, logout, ready, not_ready, softphone.
-- KEYS[1] operator hash, KEYS[2] free zset, KEYS[3] logged-in set, KEYS[4] no-operator-since key, KEYS[5] wrap-ups zset, KEYS[6] leases zset
-- ARGV[1] action, ARGV[2] argument (reason / '1' or '0'), ARGV[3] now, ARGV[4] transition table JSON, ARGV[5] id
-- Returns {from, to, free, softphoneChanged}.
local h = hmap(KEYS[1])
if h == nil then return redis.error_reply('NOTFOUND operator ' .. ARGV[5]) end
local action, arg, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
-- A reservation with no call bound to it yet is a dispatcher looking for a
-- call (a moment's work): the operator's own change wins. That dispatcher
-- finds its reservation gone (call-bind 'lost', op-release 0) and looks again.
local dropReservation = action ~= 'softphone' and nonEmpty(h.resv) and not nonEmpty(h.offer)
if dropReservation then
  h.resv = ''; h.lease = ''
end
local from = opState(h)
local fields
local spChanged = 0
if action == 'login' then
  if from ~= 'offline' then return redis.error_reply('CONFLICT operator ' .. h.id .. ' is already logged in') end
  h.li = '1'; h.rdy = '0'; h.reason = 'login'
  fields = { 'li', 'rdy', 'reason' }
elseif action == 'logout' then
  if from == 'offline' then return redis.error_reply('CONFLICT operator ' .. h.id .. ' is not logged in') end
  h.li = '0'; h.rdy = '0'; h.reason = 'logout'
  fields = { 'li', 'rdy', 'reason' }
  if from == 'wrap_up' then
    -- Logging out ends the wrap-up; the outcome can still be recorded by the app.
    h.wrapUntil = ''; h.wrapCall = ''
    fields[#fields + 1] = 'wrapUntil'; fields[#fields + 1] = 'wrapCall'
  end
elseif action == 'ready' then
  h.rdy = '1'; h.reason = ''
  fields = { 'rdy', 'reason' }
elseif action == 'not_ready' then
  h.rdy = '0'; h.reason = arg
  fields = { 'rdy', 'reason' }
elseif action == 'softphone' then
  spChanged = (h.sp ~= arg) and 1 or 0
  h.sp = arg
  fields = { 'sp' }
else
  return redis.error_reply('CONFLICT unknown action ' .. action)
end
local to = opState(h)
-- ready/not_ready only make sense in those two states; elsewhere the flag would
-- silently wait, which the console must not mistake for a change.
if (action == 'ready' or action == 'not_ready') and from ~= 'ready' and from ~= 'not_ready' then
  return redis.error_reply('ILLEGAL operator ' .. h.id .. ' ' .. from .. ' ' .. action)
end
if not allowed(ARGV[4], from, to) then
  return redis.error_reply('ILLEGAL operator ' .. h.id .. ' ' .. from .. ' ' .. to)
end
if dropReservation then
  fields[#fields + 1] = 'resv'; fields[#fields + 1] = 'lease'
end
local r = saveOp(KEYS[1], KEYS[2], from, h, fields, now, true)
if dropReservation then rcall('ZREM', KEYS[6], h.id) end
if action == 'login' then
  rcall('SADD', KEYS[3], h.id)
  rcall('DEL', KEYS[4])
elseif action == 'logout' then
  rcall('SREM', KEYS[3], h.id)
  rcall('ZREM', KEYS[5], h.id)
  if rcall('SCARD', KEYS[3]) == 0 then rcall('SET', KEYS[4], now, 'NX') end
end
r[4] = spChanged
return r
