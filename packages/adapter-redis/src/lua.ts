/**
 * The Lua scripts that make every change of a Mailroom stream atomic: Redis runs a script alone,
 * so two workers never move the same delayed entry twice, and a copy, its removal and the FIFO
 * bookkeeping happen together or not at all. Every script takes the same five keys (stream,
 * delayed set, heads hash, parked counter, dead-letter stream) and the prefix of the parked lists
 * as its last fixed argument. Entries are flat field lists (`k1, v1, k2, v2, …`).
 */

/** Helpers every script starts with. */
export const COMMON = `
local K = { stream = KEYS[1], delayed = KEYS[2], heads = KEYS[3], parked = KEYS[4], dead = KEYS[5], wake = KEYS[6] }

local function field(f, name)
  for i = 1, #f, 2 do
    if f[i] == name then return f[i + 1] end
  end
  return nil
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A member just added to the delayed set that is now its earliest wakes the waiting receives
-- (they block on the stream and on this wake stream, for no longer than the earliest due time).
local function wake_if_first(delayed, wake, member, score)
  local first = redis.call('ZRANGE', delayed, 0, 0)
  if first[1] == member then redis.call('XADD', wake, 'MAXLEN', 1, '*', 'due', score) end
end

-- ISO time of a Unix time in ms (days to civil date, after Howard Hinnant).
local function iso(ms)
  local s = math.floor(ms / 1000)
  local days = math.floor(s / 86400)
  local rem = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d,
    math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
end

-- The head of FIFO group g: where it is (a stream entry id, or 'z' in the delayed set) and its message id.
local function head_of(g)
  local h = redis.call('HGET', K.heads, g)
  if not h then return nil, nil end
  local sp = string.find(h, ' ', 1, true)
  return string.sub(h, 1, sp - 1), string.sub(h, sp + 1)
end

-- Message id of group g now sits at 'at': when it is the group's head, the record follows it.
local function moved(g, id, at)
  if not g or g == '' or not id then return end
  local _, head = head_of(g)
  if head == id then redis.call('HSET', K.heads, g, at .. ' ' .. id) end
end

-- The head of group g is gone: the next parked message of g, if any, enters the stream as the new head.
local function promote(g, prefix)
  local packed = redis.call('LPOP', prefix .. g)
  if not packed then
    redis.call('HDEL', K.heads, g)
    return
  end
  redis.call('DECR', K.parked)
  local f = cmsgpack.unpack(packed)
  local at = redis.call('XADD', K.stream, '*', unpack(f))
  redis.call('HSET', K.heads, g, at .. ' ' .. field(f, 'mailroom-id'))
end

-- Message id of group g is done (acked, dead-lettered): when it was the head, the next one goes.
local function done(g, id, prefix)
  if not g or g == '' then return end
  local _, head = head_of(g)
  if head == id then promote(g, prefix) end
end
`;

/**
 * Ack entries (XACK + XDEL), whoever holds them by now: a finished run is done. A FIFO head
 * acked hands its group on. Returns how many were still pending.
 *
 * ARGV: group, parked-list prefix, then per entry: entry id, FIFO group ('' for none), message id.
 */
export const ACK_LUA = `${COMMON}
local group, prefix = ARGV[1], ARGV[2]
local acked = 0
for i = 3, #ARGV, 3 do
  local entry, g, id = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('XACK', K.stream, group, entry) == 1 then
    redis.call('XDEL', K.stream, entry)
    done(g, id, prefix)
    acked = acked + 1
  end
end
return acked
`;

/**
 * Settle one received entry by a write, only while this consumer still holds it (not reclaimed
 * elsewhere): `copy` adds the given fields to the stream (delay 0) or the delayed set, `dead` to
 * the dead-letter stream — the write that can fail comes first, so a refused write changes
 * nothing — then the original is removed (XACK + XDEL). FIFO heads are followed (copy) or handed
 * on (dead). Returns 1, or 0 when the entry was not this consumer's (or is gone).
 *
 * ARGV: group, consumer, entry id, kind (copy | dead), delayMs, token, parked-list prefix,
 * FIFO group ('' for none), message id, then the fields to write.
 */
export const SETTLE_LUA = `${COMMON}
local group, consumer, entry, kind, delay, token, prefix, g, id =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local p = redis.call('XPENDING', K.stream, group, entry, entry, 1)
if #p == 0 or p[1][2] ~= consumer then return 0 end
local f = {}
for i = 10, #ARGV do f[#f + 1] = ARGV[i] end
if kind == 'dead' then
  redis.call('XADD', K.dead, '*', unpack(f))
  redis.call('XACK', K.stream, group, entry)
  redis.call('XDEL', K.stream, entry)
  done(g, id, prefix)
  return 1
end
local at
if delay > 0 then
  local member, score = cmsgpack.pack({ token, unpack(f) }), now_ms() + delay
  redis.call('ZADD', K.delayed, score, member)
  wake_if_first(K.delayed, K.wake, member, score)
  at = 'z'
else
  at = redis.call('XADD', K.stream, '*', unpack(f))
end
redis.call('XACK', K.stream, group, entry)
redis.call('XDEL', K.stream, entry)
moved(g, id, at)
return 1
`;

/**
 * Heartbeat: reset the entry's idle time (XCLAIM … JUSTID, which does not count a delivery), only
 * while this consumer holds it. Returns 1, or 0 when it was reclaimed elsewhere or is gone.
 *
 * ARGV: group, consumer, entry id.
 */
export const EXTEND_LUA = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
`;

/**
 * Schedule fields into the delayed set: due in `ms` by the server's clock (`in`), or at the Unix
 * time `ms` (`at`). The token keeps two equal messages two members. Takes the six keys.
 *
 * ARGV: in | at, ms, token, then the fields.
 */
export const SCHEDULE_LUA = `${COMMON}
local score = tonumber(ARGV[2])
if ARGV[1] == 'in' then score = score + now_ms() end
local member = cmsgpack.pack({ ARGV[3], unpack(ARGV, 4) })
redis.call('ZADD', K.delayed, score, member)
wake_if_first(K.delayed, K.wake, member, score)
return 1
`;

/**
 * Remove this consumer from the group when it holds nothing: a consumer that still holds entries
 * stays, or its entries could never be reclaimed. Returns 1 when removed.
 *
 * ARGV: group, consumer.
 */
export const FORGET_CONSUMER_LUA = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
`;
