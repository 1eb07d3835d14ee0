-- Undo call-create when the job could not be added. KEYS[1] call hash. ARGV[1] jobId.
if rcall('HGET', KEYS[1], 'jobId') == ARGV[1] and rcall('HGET', KEYS[1], 'state') == 'queued' then
  rcall('DEL', KEYS[1])
  return 1
end
return 0
