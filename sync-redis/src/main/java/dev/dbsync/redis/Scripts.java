package dev.dbsync.redis;

import java.nio.charset.StandardCharsets;
import redis.clients.jedis.Jedis;

/**
 * The Lua scripts the connector runs. Each checks everything that could fail before it writes anything (Redis
 * does not undo the writes of a script that fails half-way), and every write of a row happens inside one script,
 * so a row is applied whole or not at all.
 */
final class Scripts {

    /**
     * Writes rows of one table. ARGV: table key prefix, format (h = hash, s = JSON string, j = RedisJSON),
     * TTL in ms (0 = none), lease key and token to check ('' = no fencing), row count, whether the secondary index
     * memberships are kept ('1'), a guard key counting the scripts of a transaction that ran to the end ('' =
     * none), then per row: op (u/d), key text, version (decimal, '0' = none), the number of
     * value arguments and the values (field/value pairs, or one document), the number of index entries and per
     * entry kind (s = set, z = sorted set), index key and score.
     *
     * <p>Returns per row 1 (upserted), 2 (deleted), 0 (skipped: the stored version is newer) or an error text.
     * The stored version is compared as a decimal integer string, so every 64-bit version compares exactly.
     * Every applied row gets the next number of the table's change sequence in {@code ~chg}, which the source
     * reads incrementally; a delete leaves its key there (and its version in {@code ~ver}) as a tombstone, so an
     * older replay cannot bring the row back.
     */
    static final String WRITE = """
            local tp, fmt, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
            local fenceKey, fenceToken = ARGV[4], ARGV[5]
            local n, useIx, guard = tonumber(ARGV[6]), ARGV[7] == '1', ARGV[8]
            if fenceKey ~= '' then
              local cur = redis.call('HGET', fenceKey, 'token')
              if cur ~= fenceToken then
                local holder = redis.call('HGET', fenceKey, 'holder')
                return redis.error_reply('DBSYNCFENCED the lease (token ' .. fenceToken .. ') is no longer current; '
                  .. (holder and ('now held by ' .. holder) or 'it expired') .. '; nothing written')
              end
            end
            local want = 'ReJSON-RL'
            if fmt == 'h' then want = 'hash' elseif fmt == 's' then want = 'string' end
            local verKey, chgKey, seqKey, ixKey = tp .. '~ver', tp .. '~chg', tp .. '~seq', tp .. '~ix'
            local function older(a, b)
              local na, nb = string.sub(a, 1, 1) == '-', string.sub(b, 1, 1) == '-'
              if na ~= nb then return na end
              if #a ~= #b then
                if na then return #a > #b else return #a < #b end
              end
              if na then return a > b else return a < b end
            end
            local seq = redis.call('INCRBY', seqKey, n) - n
            local out = {}
            local i = 9
            for r = 1, n do
              local op, k, ver = ARGV[i], ARGV[i + 1], ARGV[i + 2]
              local nv = tonumber(ARGV[i + 3])
              local vs = i + 4
              local ni = tonumber(ARGV[vs + nv])
              local is = vs + nv + 1
              i = is + 3 * ni
              local key = tp .. k
              local cur = false
              if ver ~= '0' then cur = redis.call('HGET', verKey, k) end
              if cur and older(ver, cur) then
                out[r] = 0
              else
                local bad = nil
                if op == 'u' then
                  local t = redis.call('TYPE', key)['ok']
                  if t ~= 'none' and t ~= want then bad = 'WRONGTYPE key ' .. key .. ' holds a ' .. t .. ', not a ' .. want end
                  for j = 0, ni - 1 do
                    local ik = ARGV[is + 3 * j + 1]
                    local iw = 'zset'
                    if ARGV[is + 3 * j] == 's' then iw = 'set' end
                    local it = redis.call('TYPE', ik)['ok']
                    if it ~= 'none' and it ~= iw then bad = 'WRONGTYPE index key ' .. ik .. ' holds a ' .. it .. ', not a ' .. iw end
                  end
                end
                if bad then
                  out[r] = bad
                else
                  if useIx then
                    local old = redis.call('HGET', ixKey, k)
                    if old then
                      for _, e in ipairs(cjson.decode(old)) do
                        if string.sub(e, 1, 1) == 's' then redis.call('SREM', string.sub(e, 2), k)
                        else redis.call('ZREM', string.sub(e, 2), k) end
                      end
                    end
                  end
                  if op == 'u' then
                    if fmt == 'h' then
                      redis.call('DEL', key)
                      redis.call('HSET', key, unpack(ARGV, vs, vs + nv - 1))
                      if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
                    elseif fmt == 's' then
                      if ttl > 0 then redis.call('SET', key, ARGV[vs], 'PX', ttl) else redis.call('SET', key, ARGV[vs]) end
                    else
                      redis.call('DEL', key)
                      redis.call('JSON.SET', key, '$', ARGV[vs])
                      if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
                    end
                    if useIx then
                      local ents = {}
                      for j = 0, ni - 1 do
                        local kind, ik = ARGV[is + 3 * j], ARGV[is + 3 * j + 1]
                        if kind == 's' then redis.call('SADD', ik, k) else redis.call('ZADD', ik, ARGV[is + 3 * j + 2], k) end
                        ents[#ents + 1] = kind .. ik
                      end
                      if #ents > 0 then redis.call('HSET', ixKey, k, cjson.encode(ents)) else redis.call('HDEL', ixKey, k) end
                    end
                    out[r] = 1
                  else
                    redis.call('DEL', key)
                    if useIx then redis.call('HDEL', ixKey, k) end
                    out[r] = 2
                  end
                  if ver ~= '0' then redis.call('HSET', verKey, k, ver) end
                  redis.call('ZADD', chgKey, seq + r, k)
                end
              end
            end
            if guard ~= '' then redis.call('INCR', guard) end
            return out
            """;

    /**
     * Saves (op s) or clears (op c) a checkpoint if the lease is current. ARGV: lease key, token, hash, field, text,
     * op, and optionally a guard key and the number of write scripts that must have completed before it in the same
     * transaction: a batch whose rows were not all written never moves its checkpoint.
     */
    static final String CHECKPOINT = """
            if ARGV[7] and ARGV[7] ~= '' then
              local done = tonumber(redis.call('GET', ARGV[7]) or '0')
              redis.call('DEL', ARGV[7])
              if done ~= tonumber(ARGV[8]) then
                return redis.error_reply('DBSYNCINCOMPLETE only ' .. done .. ' of ' .. ARGV[8]
                  .. ' parts of the batch were written; checkpoint not saved')
              end
            end
            local cur = redis.call('HGET', ARGV[1], 'token')
            if cur ~= ARGV[2] then
              local holder = redis.call('HGET', ARGV[1], 'holder')
              return redis.error_reply('DBSYNCFENCED the lease (token ' .. ARGV[2] .. ') is no longer current; '
                .. (holder and ('now held by ' .. holder) or 'it expired') .. '; checkpoint not saved')
            end
            if ARGV[6] == 'c' then redis.call('HDEL', ARGV[3], ARGV[4]) else redis.call('HSET', ARGV[3], ARGV[4], ARGV[5]) end
            return 1
            """;

    /**
     * Takes a lease when nobody holds it. ARGV: lease key, token counter key, holder, TTL in ms. Returns
     * {1, token} or {0, current holder}. The counter never expires, so tokens grow across leases.
     */
    static final String ACQUIRE = """
            local h = redis.call('HGET', ARGV[1], 'holder')
            if h then return {0, h} end
            local t = redis.call('INCR', ARGV[2])
            redis.call('HSET', ARGV[1], 'token', t, 'holder', ARGV[3])
            redis.call('PEXPIRE', ARGV[1], ARGV[4])
            return {1, t}
            """;

    /** Extends (op r) or gives up (op d) a lease still held under the token. ARGV: lease key, token, TTL ms, op. */
    static final String RENEW = """
            if redis.call('HGET', ARGV[1], 'token') == ARGV[2] then
              if ARGV[4] == 'd' then redis.call('DEL', ARGV[1]) else redis.call('PEXPIRE', ARGV[1], ARGV[3]) end
              return 1
            end
            return 0
            """;

    private Scripts() {
    }

    /** Loads a script (idempotent) and returns its SHA-1 as bytes for EVALSHA. */
    static byte[] load(Jedis j, String script) {
        return j.scriptLoad(script.getBytes(StandardCharsets.UTF_8));
    }
}
