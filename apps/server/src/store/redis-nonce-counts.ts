/**
 * Digest nonce counts in Redis, shared by every instance on the store: a nonce used on one
 * instance is a replay on all of them. One hash per user (`<prefix>nc:<user>`): field `n:<nonce>`
 * = `nc:issuedAt:expiresAt`, and `floor` = nonces of this user issued at or before it and not in
 * the hash are forgotten. At most `maxPerUser` nonces per user (default 256); the oldest is dropped (and the floor
 * raised) beyond it, so one user can only ever churn their own. The hash expires with its newest
 * nonce. Each call is one single-key script, so it runs on Redis Cluster too.
 * @see RFC 7616 §3.4 (nc), §5.5 (replay attacks)
 */
import type { NonceCountResult, NonceCountStore } from '@sipts/digest';

/** KEYS[1]: the user's hash. ARGV: nonce, nc, issuedAt, expiresAt, now, maxPerUser, graceMs. */
export const NONCE_COUNT_SCRIPT = `
local key = KEYS[1]
local field = 'n:' .. ARGV[1]
local nc, issued, expires, now, max, grace = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local cur = redis.call('HGET', key, field)
if cur then
  local seen = tonumber(string.match(cur, '^(%d+):'))
  if seen and nc <= seen then return 'replay' end
  redis.call('HSET', key, field, ARGV[2] .. ':' .. ARGV[3] .. ':' .. ARGV[4])
  return 'ok'
end
local floor = tonumber(redis.call('HGET', key, 'floor') or '-1')
if issued <= floor then return 'forgotten' end
local live, oldestField, oldestIssued, latest = 0, nil, nil, expires
local all = redis.call('HGETALL', key)
for i = 1, #all, 2 do
  local f, v = all[i], all[i + 1]
  if string.sub(f, 1, 2) == 'n:' then
    local _, iss, exp = string.match(v, '^(%d+):(%d+):(%d+)$')
    iss, exp = tonumber(iss), tonumber(exp)
    if not exp or exp <= now then
      redis.call('HDEL', key, f)
    else
      live = live + 1
      if not oldestIssued or iss < oldestIssued then oldestField, oldestIssued = f, iss end
      if exp > latest then latest = exp end
    end
  end
end
if live >= max then
  if issued <= oldestIssued then return 'forgotten' end
  redis.call('HDEL', key, oldestField)
  if oldestIssued > floor then redis.call('HSET', key, 'floor', string.format('%d', oldestIssued)) end
end
redis.call('HSET', key, field, ARGV[2] .. ':' .. ARGV[3] .. ':' .. ARGV[4])
redis.call('PEXPIRE', key, math.max(1, math.floor(latest - now + grace)))
return 'ok'
`;

/** Runs a script by SHA with its text as the fallback. */
export type ScriptRunner = (keys: string[], args: (string | number)[]) => Promise<unknown>;

/** Options of {@link createRedisNonceCounts}. */
export interface RedisNonceCountsOptions {
  /** The store's key prefix. */
  prefix: string;
  /** Runs {@link NONCE_COUNT_SCRIPT}. */
  run: ScriptRunner;
  /** The clock (ms); the nonces' times come from the same clock. */
  now: () => number;
  /** Most nonces tracked per user. Default 256. */
  maxPerUser?: number;
  /** How long a user's hash outlives its newest nonce. Default 60 000 ms. */
  graceMs?: number;
}

/**
 * The shared count store: `advance` answers with a promise (use `DigestServer.verifyAsync`) and
 * rejects when Redis cannot be reached.
 * @example const counts = createRedisNonceCounts({ prefix: 'sipts:', run, now: Date.now });
 */
export function createRedisNonceCounts(options: RedisNonceCountsOptions): NonceCountStore {
  const max = Math.max(1, options.maxPerUser ?? 256);
  const grace = options.graceMs ?? 60_000;
  return {
    async advance({ nonce, nc, issuedAt, expiresAt, username }) {
      const args = [nonce, Math.floor(nc), Math.floor(issuedAt), Math.floor(expiresAt), Math.floor(options.now()), max, grace];
      const answer = await options.run([`${options.prefix}nc:${username}`], args);
      if (answer === 'ok' || answer === 'replay' || answer === 'forgotten') return answer satisfies NonceCountResult;
      throw new Error(`location store: unexpected nonce-count answer ${JSON.stringify(answer)}`);
    },
  };
}
