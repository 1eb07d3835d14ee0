-- Reserve the free operator idle longest, with a lease.
-- KEYS[1] free zset, KEYS[2] leases zset. ARGV[1] operator key prefix, ARGV[2] token,
-- ARGV[3] now, ARGV[4] lease ms, ARGV[5] transition table JSON.
-- Returns {id, endpoint} or nil.
local now = tonumber(ARGV[3])
for _ = 1, 100 do
  local top = rcall('ZRANGE', KEYS[1], 0, 0)
  if #top == 0 then return nil end
  local id = top[1]
  local key = ARGV[1] .. id
  local h = hmap(key)
  if h == nil or not isFree(h) then
    rcall('ZREM', KEYS[1], id) -- a stale entry; the hash is the truth
  else
    if not allowed(ARGV[5], 'ready', 'offered') then return redis.error_reply('ILLEGAL operator ' .. id .. ' ready offered') end
    h.resv = ARGV[2]; h.offer = ''; h.lease = tostring(now + tonumber(ARGV[4]))
    saveOp(key, KEYS[1], 'ready', h, { 'resv', 'offer', 'lease' }, now, false)
    rcall('ZADD', KEYS[2], tonumber(h.lease), id)
    return { id, h.endpoint or '' }
  end
end
return nil
