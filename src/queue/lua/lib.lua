-- Shared helpers, prepended to every dispatch script (see redis-scripts.ts).
-- Operator hash fields: id endpoint li(logged in) rdy(ready) reason sp(softphone)
-- call(connected call) resv(reservation token) offer(offered call) lease(ms)
-- wrapUntil(ms) wrapCall idle(ms, idle since) state.
local rcall = redis.call

local function hmap(key)
  local flat = rcall('HGETALL', key)
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end

local function nonEmpty(v) return v ~= nil and v ~= '' and v ~= '0' end

-- The operator state follows from the flags, most binding first.
local function opState(h)
  if h.li ~= '1' then return 'offline' end
  if nonEmpty(h.call) then return 'on_call' end
  if nonEmpty(h.resv) then return 'offered' end
  if nonEmpty(h.wrapUntil) then return 'wrap_up' end
  if h.rdy == '1' then return 'ready' end
  return 'not_ready'
end

local function isFree(h) return opState(h) == 'ready' and h.sp == '1' end

-- ILLEGAL reply before any write: the caller's change is refused whole.
local function allowed(tableJson, from, to)
  if from == to then return true end
  local t = cjson.decode(tableJson)
  local targets = t[from]
  if targets == nil then return false end
  for _, s in ipairs(targets) do if s == to then return true end end
  return false
end

-- Write changed fields, keep the free set in step, return {from, to}.
-- resetIdle: an operator who becomes ready queues behind the others; one whose
-- reservation is released unused keeps the place they had.
local function saveOp(opKey, freeKey, old, h, fields, now, resetIdle)
  local args = {}
  for _, f in ipairs(fields) do
    args[#args + 1] = f
    args[#args + 1] = h[f] or ''
  end
  local from = old
  local to = opState(h)
  if to == 'ready' and from ~= 'ready' and resetIdle then
    h.idle = tostring(now)
  end
  if h.idle == nil or h.idle == '' then h.idle = tostring(now) end
  args[#args + 1] = 'idle'; args[#args + 1] = h.idle
  args[#args + 1] = 'state'; args[#args + 1] = to
  rcall('HSET', opKey, unpack(args))
  if isFree(h) then
    rcall('ZADD', freeKey, tonumber(h.idle), h.id)
  else
    rcall('ZREM', freeKey, h.id)
  end
  return { from, to, isFree(h) and 1 or 0 }
end
