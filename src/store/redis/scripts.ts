import type { Redis } from 'ioredis';

/**
 * The Lua scripts of the Redis store. Each runs atomically on the server: a record write, its index
 * members, the effects it owes and the change notification happen together or not at all.
 */

/**
 * Shared by the writing scripts: records owed effects not recorded yet and counts them per kind.
 * Effects come as ARGV triples (key, kind, JSON) from `first`; the check times as one more ARGV each.
 */
const RECORD_EFFECTS = `
local function record_effects(outbox, check, owed, first, count, checkAt)
  local added = {}
  for n = 0, count - 1 do
    local key = ARGV[first + n * 3]
    local kind = ARGV[first + n * 3 + 1]
    if redis.call('HSETNX', outbox, key, ARGV[first + n * 3 + 2]) == 1 then
      redis.call('ZADD', check, tonumber(ARGV[checkAt + n]), key)
      redis.call('HINCRBY', owed, kind, 1)
      added[#added + 1] = key
    end
  end
  return added
end

local function unindex(record)
  local old = redis.call('HGET', record, 'i')
  if old then
    for _, entry in ipairs(cjson.decode(old)) do redis.call('ZREM', entry[1], entry[2]) end
  end
end

local function index(entries)
  for _, entry in ipairs(cjson.decode(entries)) do redis.call('ZADD', entry[1], 0, entry[2]) end
end
`;

/**
 * KEYS: record, outbox, outbox check, outbox owed, changes channel.
 * ARGV: version, body, index entries JSON, change message, effect count n, n × (key, kind, json), n × checkAt.
 * Returns {0, stored body} when the id exists, else {1, keys of the effects recorded}.
 */
const INSERT = `${RECORD_EFFECTS}
local existing = redis.call('HGET', KEYS[1], 'b')
if existing then return {0, existing} end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'b', ARGV[2], 'i', ARGV[3])
index(ARGV[3])
local count = tonumber(ARGV[5])
local added = record_effects(KEYS[2], KEYS[3], KEYS[4], 6, count, 6 + count * 3)
redis.call('PUBLISH', KEYS[5], ARGV[4])
return {1, added}
`;

/**
 * KEYS and ARGV as INSERT, then ARGV: expected version (last).
 * Returns {0} when the record is missing or at another version, else {1, keys of the effects recorded}.
 */
const REPLACE = `${RECORD_EFFECTS}
local count = tonumber(ARGV[5])
local expected = ARGV[6 + count * 4]
if redis.call('HGET', KEYS[1], 'v') ~= expected then return {0} end
unindex(KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'b', ARGV[2], 'i', ARGV[3])
index(ARGV[3])
local added = record_effects(KEYS[2], KEYS[3], KEYS[4], 6, count, 6 + count * 3)
redis.call('PUBLISH', KEYS[5], ARGV[4])
return {1, added}
`;

/** KEYS: record, changes channel. ARGV: change message. Returns 1 when the record existed. */
const DELETE = `${RECORD_EFFECTS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
unindex(KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: record. ARGV: its version, its index entries JSON. Rewrites its index members unless it changed meanwhile. */
const REINDEX = `${RECORD_EFFECTS}
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
unindex(KEYS[1])
redis.call('HSET', KEYS[1], 'i', ARGV[2])
index(ARGV[2])
return 1
`;

/** KEYS: outbox, outbox check, outbox owed. ARGV: effect count n, n × (key, kind, json), n × checkAt. */
const ENQUEUE = `${RECORD_EFFECTS}
local count = tonumber(ARGV[1])
return record_effects(KEYS[1], KEYS[2], KEYS[3], 2, count, 2 + count * 3)
`;

/** KEYS: outbox, outbox check, outbox owed. ARGV: effect key, kind. Returns 1 when it was still owed. */
const COMPLETE = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HINCRBY', KEYS[3], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[3], ARGV[2]) end
return 1
`;

/**
 * One page of an index with the bodies of its records, read together so a page never names a
 * record that is gone. KEYS: the index. ARGV: min, max, limit, '1' for descending, record key prefix.
 */
const PAGE = `
local members
if ARGV[4] == '1' then
  members = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[2], ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
else
  members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
end
local bodies = {}
for _, member in ipairs(members) do
  local cut = string.find(member, '\\0', 1, true)
  local body = redis.call('HGET', ARGV[5] .. string.sub(member, cut + 1), 'b')
  if body then bodies[#bodies + 1] = body end
end
return bodies
`;

/** What `defineCommand` adds to the connection. */
export interface ScriptedRedis extends Redis {
  ghInsert(...args: Array<string | number>): Promise<[0, string] | [1, string[]]>;
  ghReplace(...args: Array<string | number>): Promise<[0] | [1, string[]]>;
  ghDelete(...args: Array<string | number>): Promise<0 | 1>;
  ghReindex(...args: Array<string | number>): Promise<0 | 1>;
  ghEnqueue(...args: Array<string | number>): Promise<string[]>;
  ghComplete(...args: Array<string | number>): Promise<0 | 1>;
  ghPage(...args: Array<string | number>): Promise<string[]>;
}

/** Defines the scripts on a connection (ioredis runs them by EVALSHA, loading them on first use). */
export function defineScripts(redis: Redis): ScriptedRedis {
  redis.defineCommand('ghInsert', { numberOfKeys: 5, lua: INSERT });
  redis.defineCommand('ghReplace', { numberOfKeys: 5, lua: REPLACE });
  redis.defineCommand('ghDelete', { numberOfKeys: 2, lua: DELETE });
  redis.defineCommand('ghReindex', { numberOfKeys: 1, lua: REINDEX });
  redis.defineCommand('ghEnqueue', { numberOfKeys: 3, lua: ENQUEUE });
  redis.defineCommand('ghComplete', { numberOfKeys: 3, lua: COMPLETE });
  redis.defineCommand('ghPage', { numberOfKeys: 1, lua: PAGE });
  return redis as ScriptedRedis;
}
