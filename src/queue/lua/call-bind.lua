-- Bind a fetched call to the reserved operator: the offer.
-- KEYS[1] operator hash, KEYS[2] call hash, KEYS[3] leases zset.
-- ARGV[1] token, ARGV[2] now, ARGV[3] lease ms.
-- {'ok', attempts} | {'lost'} reservation gone | {'nocall'} | {'busy'} offered elsewhere | {'done'} no longer waiting
local h = hmap(KEYS[1])
if h == nil or h.resv ~= ARGV[1] or nonEmpty(h.offer) then return { 'lost' } end
local c = hmap(KEYS[2])
if c == nil then return { 'nocall' } end
if c.state == 'offered' then return { 'busy' } end
if c.state ~= 'queued' then return { 'done' } end
local lease = tonumber(ARGV[2]) + tonumber(ARGV[3])
local attempts = rcall('HINCRBY', KEYS[2], 'attempts', 1)
rcall('HSET', KEYS[2], 'state', 'offered', 'op', h.id, 'token', ARGV[1])
rcall('HSET', KEYS[1], 'offer', c.id, 'lease', lease)
rcall('ZADD', KEYS[3], lease, h.id)
return { 'ok', attempts }
