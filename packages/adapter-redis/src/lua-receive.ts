import { COMMON } from "./lua.ts";

/**
 * Receive: move due delayed entries into the stream, reclaim idle pending ones (when asked),
 * read new ones for this consumer, and let through only each FIFO group's head (the others
 * are parked, in order, behind it). A reclaim round also checks a few FIFO heads, so a group
 * whose head was deleted by hand moves on. Returns `[cursor, activity, nextDueInMs, lastId,
 * lastWakeId, entries, headsCursor]` with each entry as `[id, deliveryCount, fields]`; the two
 * ids are where a blocking XREAD waits from when nothing was read.
 *
 * ARGV: group, consumer, count, minIdleMs (0: no reclaim), cursor, parked-list prefix, heads cursor.
 */
export const RECEIVE_LUA = `${COMMON}
local group, consumer, count, min_idle, cursor, prefix, heads_cursor =
  ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local now = now_ms()

local due = redis.call('ZRANGEBYSCORE', K.delayed, '-inf', now, 'LIMIT', 0, 100)
for _, member in ipairs(due) do
  redis.call('ZREM', K.delayed, member)
  local f = cmsgpack.unpack(member)
  table.remove(f, 1)
  local at = redis.call('XADD', K.stream, '*', unpack(f))
  moved(field(f, 'mailroom-group-id'), field(f, 'mailroom-id'), at)
end

local function alive(at)
  if at == 'z' then return true end
  return #redis.call('XRANGE', K.stream, at, at) > 0
end

local function park(entry, f, g, id)
  if not field(f, 'mailroom-id') then
    f[#f + 1] = 'mailroom-id'
    f[#f + 1] = id
  end
  if not field(f, 'mailroom-published-at') then
    f[#f + 1] = 'mailroom-published-at'
    f[#f + 1] = iso(tonumber(string.match(entry, '^(%d+)')))
  end
  redis.call('RPUSH', prefix .. g, cmsgpack.pack(f))
  redis.call('INCR', K.parked)
  redis.call('XACK', K.stream, group, entry)
  redis.call('XDEL', K.stream, entry)
end

-- True when the entry may run now; a FIFO message behind its group's head is parked instead.
local function admit(entry, f)
  local g = field(f, 'mailroom-group-id')
  if not g or g == '' then return true end
  local id = field(f, 'mailroom-id') or entry
  local at, head = head_of(g)
  if head == id then
    if at ~= entry then redis.call('HSET', K.heads, g, entry .. ' ' .. id) end
    return true
  end
  if head and not alive(at) then
    -- The head was deleted or trimmed by hand: its group must not wait for it forever.
    promote(g, prefix)
    at, head = head_of(g)
  end
  if head then
    park(entry, f, g, id)
    return false
  end
  redis.call('HSET', K.heads, g, entry .. ' ' .. id)
  return true
end

local out, read = {}, 0
if min_idle > 0 then
  -- A few FIFO heads per reclaim round: one deleted or trimmed by hand hands its group on.
  local scan = redis.call('HSCAN', K.heads, heads_cursor, 'COUNT', 20)
  heads_cursor = scan[1]
  for i = 1, #scan[2], 2 do
    local g, h = scan[2][i], scan[2][i + 1]
    local at = string.sub(h, 1, string.find(h, ' ', 1, true) - 1)
    if not alive(at) then promote(g, prefix) end
  end
end
if min_idle > 0 then
  local r = redis.call('XAUTOCLAIM', K.stream, group, consumer, min_idle, cursor, 'COUNT', count)
  cursor = r[1]
  for _, e in ipairs(r[2]) do
    if e[2] then
      read = read + 1
      if admit(e[1], e[2]) then
        local p = redis.call('XPENDING', K.stream, group, e[1], e[1], 1)
        out[#out + 1] = { e[1], p[1][4], e[2] }
      end
    else
      redis.call('XACK', K.stream, group, e[1])
    end
  end
end
if #out < count then
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count - #out, 'STREAMS', K.stream, '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      read = read + 1
      if admit(e[1], e[2]) then out[#out + 1] = { e[1], 1, e[2] } end
    end
  end
end

local next_due = -1
local first = redis.call('ZRANGE', K.delayed, 0, 0, 'WITHSCORES')
if first[2] then next_due = math.max(0, tonumber(first[2]) - now) end
local last, woken = '0-0', '0-0'
if read == 0 then
  local tail = redis.call('XREVRANGE', K.stream, '+', '-', 'COUNT', 1)
  if tail[1] then last = tail[1][1] end
  local w = redis.call('XREVRANGE', K.wake, '+', '-', 'COUNT', 1)
  if w[1] then woken = w[1][1] end
end
return { cursor, read + #due, next_due, last, woken, out, heads_cursor }
`;
