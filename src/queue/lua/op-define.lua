-- Create an operator account in the pool, or update its endpoint; state is kept.
-- KEYS[1] operator hash, KEYS[2] set of operator ids. ARGV id, endpoint, display name.
if rcall('EXISTS', KEYS[1]) == 0 then
  rcall('HSET', KEYS[1], 'id', ARGV[1], 'li', '0', 'rdy', '0', 'sp', '0', 'reason', '', 'state', 'offline')
end
rcall('HSET', KEYS[1], 'endpoint', ARGV[2], 'name', ARGV[3])
rcall('SADD', KEYS[2], ARGV[1])
return 1
