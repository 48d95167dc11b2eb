/**
 * The Lua scripts of the Redis store: each runs atomically on the server, so a REGISTER's removals
 * and upserts, a flow's removal and an expiry sweep never interleave with another instance's.
 *
 * Layout: the bindings live in slices (see `REDIS_SLICES`); every key of slice n starts with its
 * base `{<prefix><n>}`, a Redis Cluster hash tag, so that a script's keys are all in one slot.
 * Each script gets the slice's `expiry` key as KEYS[1] (it routes the call on a cluster) and the
 * base as ARGV[1]. Within a slice:
 * - `aor:<aor>`: a hash, field = binding key, value = the binding as JSON; its TTL follows the
 *   latest expiry plus a grace period, so abandoned AORs vanish by themselves;
 * - `expiry`: a sorted set of bindings (member = `<byte length of aor>:<aor><key>`), score = expiresAt;
 * - `flow:<byte length of owner>:<owner><flow id>`: a set of the same members, for removeFlow.
 * Length prefixes keep the names unambiguous whatever the AOR, key or owner contain.
 * Scripts reach keys they compute from the base, all in the slot of KEYS[1].
 */

const COMMON = `
local prefix = ARGV[1]
local zkey = KEYS[1]
local function member(aor, k) return string.len(aor) .. ':' .. aor .. k end
local function split(m)
  local colon = string.find(m, ':', 1, true)
  local n = tonumber(string.sub(m, 1, colon - 1))
  return string.sub(m, colon + 1, colon + n), string.sub(m, colon + n + 1)
end
local function hkeyOf(aor) return prefix .. 'aor:' .. aor end
local function flowKey(owner, id) return prefix .. 'flow:' .. string.len(owner) .. ':' .. owner .. id end
-- The flow of a stored binding (owner, id), or nil.
local function flowOf(json)
  local ok, b = pcall(cjson.decode, json)
  if ok and type(b) == 'table' and type(b.flow) == 'table' and type(b.flow.id) == 'string' and type(b.owner) == 'string' then
    return b.owner, b.flow.id
  end
  return nil
end
-- Deletes one binding and its index entries; returns 1 if it existed.
local function drop(aor, k)
  local hkey = hkeyOf(aor)
  local old = redis.call('HGET', hkey, k)
  redis.call('ZREM', zkey, member(aor, k))
  if not old then return 0 end
  local owner, id = flowOf(old)
  if owner then redis.call('SREM', flowKey(owner, id), member(aor, k)) end
  redis.call('HDEL', hkey, k)
  return 1
end
`;

/**
 * ARGV: slice base, aor, now, graceMs, nRemove, remove keys..., nPut, then per put: key, json,
 * expiresAt, owner, hasFlow ('1'/'0'), flowId. Returns the AOR's stored JSON values.
 */
export const UPDATE_SCRIPT = `${COMMON}
local aor, now, grace = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local hkey = hkeyOf(aor)
local i = 5
local nRemove = tonumber(ARGV[i]); i = i + 1
for _ = 1, nRemove do drop(aor, ARGV[i]); i = i + 1 end
local nPut = tonumber(ARGV[i]); i = i + 1
for _ = 1, nPut do
  local k, json, exp, owner, hasFlow, flowId = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  i = i + 6
  drop(aor, k)
  if exp > now then
    redis.call('HSET', hkey, k, json)
    redis.call('ZADD', zkey, exp, member(aor, k))
    if hasFlow == '1' then
      local fk = flowKey(owner, flowId)
      redis.call('SADD', fk, member(aor, k))
      local ttl = math.floor(exp - now + grace)
      if redis.call('PTTL', fk) < ttl then redis.call('PEXPIRE', fk, ttl) end
    end
  end
end
local keys = redis.call('HKEYS', hkey)
if #keys == 0 then return {} end
local latest = now
for _, k in ipairs(keys) do
  local s = tonumber(redis.call('ZSCORE', zkey, member(aor, k)))
  if s and s > latest then latest = s end
end
redis.call('PEXPIRE', hkey, math.floor(latest - now + grace))
return redis.call('HVALS', hkey)
`;

/** ARGV: slice base, aor. Deletes every binding of the AOR; returns how many. */
export const REMOVE_ALL_SCRIPT = `${COMMON}
local aor = ARGV[2]
local n = 0
for _, k in ipairs(redis.call('HKEYS', hkeyOf(aor))) do n = n + drop(aor, k) end
return n
`;

/** ARGV: slice base, owner, flowId. Deletes the flow's bindings; returns how many. */
export const REMOVE_FLOW_SCRIPT = `${COMMON}
local owner, id = ARGV[2], ARGV[3]
local fk = flowKey(owner, id)
local n = 0
for _, m in ipairs(redis.call('SMEMBERS', fk)) do
  local aor, k = split(m)
  local json = redis.call('HGET', hkeyOf(aor), k)
  if json then
    local o, f = flowOf(json)
    if o == owner and f == id then n = n + drop(aor, k) end
  end
end
redis.call('DEL', fk)
return n
`;

/**
 * ARGV: slice base, now, limit. Deletes up to `limit` bindings whose expiry is at or before now;
 * returns { deleted, examined } (examined < limit means the sweep is done).
 */
export const PURGE_SCRIPT = `${COMMON}
local now, limit = ARGV[2], tonumber(ARGV[3])
local members = redis.call('ZRANGEBYSCORE', zkey, '-inf', now, 'LIMIT', 0, limit)
local n = 0
for _, m in ipairs(members) do
  local aor, k = split(m)
  n = n + drop(aor, k)
end
return { n, #members }
`;
