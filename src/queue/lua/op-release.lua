-- Give back a reservation that found no call; the operator keeps their place.
-- KEYS[1] operator hash, KEYS[2] free zset, KEYS[3] leases zset. ARGV[1] token, ARGV[2] now.
local h = hmap(KEYS[1])
if h == nil or h.resv ~= ARGV[1] or nonEmpty(h.offer) then return 0 end
local from = opState(h)
h.resv = ''; h.lease = ''
saveOp(KEYS[1], KEYS[2], from, h, { 'resv', 'lease' }, tonumber(ARGV[2]), false)
rcall('ZREM', KEYS[3], h.id)
return 1
