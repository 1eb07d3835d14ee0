-- Extend an offer's lease while the phone rings. KEYS[1] operator hash, KEYS[2] leases zset.
-- ARGV[1] token, ARGV[2] new deadline.
if rcall('HGET', KEYS[1], 'resv') ~= ARGV[1] then return 0 end
rcall('HSET', KEYS[1], 'lease', ARGV[2])
rcall('ZADD', KEYS[2], tonumber(ARGV[2]), rcall('HGET', KEYS[1], 'id'))
return 1
