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
     * Applies rows of one table whose new values were written, in the same {@code MULTI}, to staging keys
     * ({@code <stage prefix><key text>}) with plain HSET/SET commands: per row it compares versions and then moves
     * the staged value over the row's key with RENAME (which replaces the old value whole, so a column that became
     * NULL does not linger) or drops it. Values never pass through Lua, so a row costs Redis little more than the
     * plain write.
     *
     * <p>ARGV: table key prefix, format (h = hash, s = JSON string, j = RedisJSON), TTL in ms (0 = none; a JSON
     * string carries its TTL from staging), lease key and token to check ('' = no fencing), row count, whether
     * secondary index memberships are kept ('1'), a guard key counting the scripts of a transaction that ran to the
     * end ('' = none), the staging prefix, whether changes are numbered in the change index ('1'); then per row: op
     * (u/d), key text, version (decimal, '0' = none), the number of index entries and per entry kind (s = set, z =
     * sorted set), index key and score. Used for JSON values; hashes are written by {@link #PREPARE_HASH}.
     *
     * <p>Returns per row 1 (upserted), 2 (deleted), 0 (skipped: the stored version is newer) or an error text (the
     * key holds another type; nothing of that row was written). Rows' versions and every delete's version (a
     * tombstone) live in the table's {@code ~ver} hash. Versions are compared as decimal integer strings, so every
     * 64-bit version compares exactly. With the change index, every applied row gets the next number of the table's
     * change sequence in {@code ~chg}, which the source reads incrementally; a delete
     * leaves its key there (and its version in {@code ~ver}) as a tombstone, so an older replay cannot bring the
     * row back. Staged values are always consumed (moved or deleted), also when the lease is refused.
     */
    static final String WRITE = """
            local tp, fmt, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
            local fenceKey, fenceToken = ARGV[4], ARGV[5]
            local n, useIx, guard, stage = tonumber(ARGV[6]), ARGV[7] == '1', ARGV[8], ARGV[9]
            local indexed = ARGV[10] == '1'
            local starts, keys = {}, {}
            local i = 11
            for r = 1, n do
              starts[r] = i
              keys[r] = ARGV[i + 1]
              i = i + 4 + 3 * tonumber(ARGV[i + 3])
            end
            if fenceKey ~= '' then
              local cur = redis.call('HGET', fenceKey, 'token')
              if cur ~= fenceToken then
                for r = 1, n do
                  if ARGV[starts[r]] == 'u' then redis.call('DEL', stage .. keys[r]) end
                end
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
            local stored = redis.call('HMGET', verKey, unpack(keys))
            local seq = 0
            if indexed then seq = redis.call('INCRBY', seqKey, n) - n end
            local inHash = fmt == 'h'
            local out, verArgs, chgArgs, latest, untomb = {}, {}, {}, {}, {}
            for r = 1, n do
              local s = starts[r]
              local op, k, ver = ARGV[s], keys[r], ARGV[s + 2]
              local ni = tonumber(ARGV[s + 3])
              local is = s + 4
              local key = tp .. k
              local cur = latest[k]
              if cur == nil then cur = stored[r] end
              if ver ~= '0' and cur and older(ver, cur) then
                if op == 'u' then redis.call('DEL', stage .. k) end
                out[r] = 0
              else
                local bad, stale = nil, false
                if op == 'u' then
                  for j = 0, ni - 1 do
                    local ik = ARGV[is + 3 * j + 1]
                    local iw = 'zset'
                    if ARGV[is + 3 * j] == 's' then iw = 'set' end
                    local it = redis.call('TYPE', ik)['ok']
                    if it ~= 'none' and it ~= iw then bad = 'WRONGTYPE index key ' .. ik .. ' holds a ' .. it .. ', not a ' .. iw end
                  end
                  -- a new key takes the staged value in one step; an existing one only when it holds our type
                  -- and (hashes) its own version field is not newer
                  if bad or redis.call('RENAMENX', stage .. k, key) == 0 then
                    if not bad then
                      local t = redis.call('TYPE', key)['ok']
                      if t ~= want then
                        bad = 'WRONGTYPE key ' .. key .. ' holds a ' .. t .. ', not a ' .. want
                      elseif inHash and ver ~= '0' then
                        local live = redis.call('HGET', key, '~v')
                        if live and older(ver, live) then stale = true end
                      end
                    end
                    if bad or stale then
                      redis.call('DEL', stage .. k)
                    else
                      redis.call('RENAME', stage .. k, key)
                    end
                  end
                  if not bad and not stale and ttl > 0 and fmt ~= 's' then redis.call('PEXPIRE', key, ttl) end
                elseif inHash and ver ~= '0' then
                  local live = redis.pcall('HGET', key, '~v')
                  if type(live) == 'string' and older(ver, live) then stale = true end
                end
                if stale then
                  out[r] = 0
                elseif bad then
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
                    if useIx then
                      local ents = {}
                      for j = 0, ni - 1 do
                        local kind, ik = ARGV[is + 3 * j], ARGV[is + 3 * j + 1]
                        if kind == 's' then redis.call('SADD', ik, k) else redis.call('ZADD', ik, ARGV[is + 3 * j + 2], k) end
                        ents[#ents + 1] = kind .. ik
                      end
                      if #ents > 0 then redis.call('HSET', ixKey, k, cjson.encode(ents)) else redis.call('HDEL', ixKey, k) end
                    end
                    if inHash and stored[r] then untomb[#untomb + 1] = k end
                    out[r] = 1
                  else
                    redis.call('DEL', key)
                    if useIx then redis.call('HDEL', ixKey, k) end
                    out[r] = 2
                  end
                  if ver ~= '0' then
                    -- a hash carries its version in its '~v' field; ~ver keeps JSON rows' versions and tombstones
                    if op == 'd' or not inHash then
                      verArgs[#verArgs + 1] = k
                      verArgs[#verArgs + 1] = ver
                    end
                    latest[k] = ver
                  end
                  if indexed then
                    chgArgs[#chgArgs + 1] = seq + r
                    chgArgs[#chgArgs + 1] = k
                  end
                end
              end
            end
            if #untomb > 0 then redis.call('HDEL', verKey, unpack(untomb)) end
            if #verArgs > 0 then redis.call('HSET', verKey, unpack(verArgs)) end
            if #chgArgs > 0 then redis.call('ZADD', chgKey, unpack(chgArgs)) end
            if guard ~= '' then redis.call('INCR', guard) end
            return out
            """;

    /**
     * Bookkeeping of a chunk of rows of a table stored as hashes, run in a {@code MULTI} before the rows' own plain
     * commands ({@code HSET} of the non-NULL columns, {@code HDEL} of the fields the row must not have,
     * {@code PEXPIRE}) and before {@link #RESTORE_HASH}. Values never pass through Lua and no row costs a command
     * of its own here: the versions of the whole chunk are read with one {@code HMGET} of the table's {@code ~ver}
     * hash and compared in Lua; the new versions, the change numbers and the removed tombstones are one command each
     * per chunk. A row that must not be written (stale, or refused) is moved aside with {@code RENAME} (or noted as
     * absent) so that the plain commands following it write a throw-away hash, which {@link #RESTORE_HASH} replaces
     * by the moved row (or deletes); that costs only rows that are skipped. Deletes are applied here.
     *
     * <p>ARGV: table key prefix, (unused), TTL in ms, lease key and token to check ('' = no fencing), row count,
     * whether secondary index memberships are kept ('1'), a guard key counting the scripts of a transaction that ran
     * to the end ('' = none), the prefix of keys moved aside, whether changes are numbered in the change index
     * {@code ~chg} ('1', setting {@code change.index}), whether to check each row key's type ('1'; with TTLs or
     * indexes, whose commands must not touch a key of another type; otherwise the row's {@code HSET} itself fails on
     * such a key), the rows' operations as one string (a character per row, u = upsert, d = delete), with indexes the
     * rows' numbers of index entries as one string (a character per row, '0' + count); then per row: key text,
     * version ('0' = none), and with indexes per entry kind (s = set, z = sorted set), index key and score. Whole-chunk
     * strings keep the per-row arguments, each of which Redis turns into a Lua string, to two.
     *
     * <p>Returns per row 1 (the row's commands may write it), {@code t<version>} (the same, and the row had that
     * version or tombstone before), 2 (deleted), 0 (skipped: the stored version is newer) or an error text. Under a
     * lease that is no longer current every upsert row is moved aside and an error is returned: nothing is written.
     * Versions of live rows and of deletes (tombstones) live in {@code ~ver}; a row written with version 0 has none.
     */
    static final String PREPARE_HASH = """
            local tp = ARGV[1]
            local fenceKey, fenceToken = ARGV[4], ARGV[5]
            local n, useIx, guard, hold = tonumber(ARGV[6]), ARGV[7] == '1', ARGV[8], ARGV[9]
            local indexed, check = ARGV[10] == '1', ARGV[11] == '1'
            local ops, nis = ARGV[12], ARGV[13]
            local starts, keys = {}, {}
            local i = 14
            for r = 1, n do
              starts[r] = i
              keys[r] = ARGV[i]
              if useIx then i = i + 2 + 3 * (string.byte(nis, r) - 48) else i = i + 2 end
            end
            local holdList = hold .. '~'
            local function aside(k)
              if redis.call('EXISTS', tp .. k) == 1 then
                redis.call('RENAME', tp .. k, hold .. k)
                redis.call('RPUSH', holdList, 'h' .. k)
              else
                redis.call('RPUSH', holdList, 'a' .. k)
              end
            end
            if fenceKey ~= '' then
              local cur = redis.call('HGET', fenceKey, 'token')
              if cur ~= fenceToken then
                for r = 1, n do
                  if string.byte(ops, r) == 117 then aside(keys[r]) end
                end
                local holder = redis.call('HGET', fenceKey, 'holder')
                return redis.error_reply('DBSYNCFENCED the lease (token ' .. fenceToken .. ') is no longer current; '
                  .. (holder and ('now held by ' .. holder) or 'it expired') .. '; nothing written')
              end
            end
            local verKey, chgKey, seqKey, ixKey = tp .. '~ver', tp .. '~chg', tp .. '~seq', tp .. '~ix'
            local function older(a, b)
              local na, nb = string.sub(a, 1, 1) == '-', string.sub(b, 1, 1) == '-'
              if na ~= nb then return na end
              if #a ~= #b then
                if na then return #a > #b else return #a < #b end
              end
              if na then return a > b else return a < b end
            end
            local stored = {}
            if redis.call('EXISTS', verKey) == 1 then stored = redis.call('HMGET', verKey, unpack(keys)) end
            local seq = 0
            if indexed then seq = redis.call('INCRBY', seqKey, n) - n end
            local out, verArgs, chgArgs, untomb = {}, {}, {}, {}
            for r = 1, n do
              local s = starts[r]
              local k, ver = keys[r], ARGV[s + 1]
              local up = string.byte(ops, r) == 117
              local ni = 0
              if useIx then ni = string.byte(nis, r) - 48 end
              local is = s + 2
              local cur = stored[r]
              if ver ~= '0' and cur and older(ver, cur) then
                out[r] = 0
                if up then aside(k) end
              else
                local bad = nil
                if check and up then
                  for j = 0, ni - 1 do
                    local ik = ARGV[is + 3 * j + 1]
                    local iw = 'zset'
                    if ARGV[is + 3 * j] == 's' then iw = 'set' end
                    local it = redis.call('TYPE', ik)['ok']
                    if it ~= 'none' and it ~= iw then bad = 'WRONGTYPE index key ' .. ik .. ' holds a ' .. it .. ', not a ' .. iw end
                  end
                  local t = redis.call('TYPE', tp .. k)['ok']
                  if t ~= 'none' and t ~= 'hash' then bad = 'WRONGTYPE key ' .. tp .. k .. ' holds a ' .. t .. ', not a hash' end
                end
                if bad then
                  out[r] = bad
                  aside(k)
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
                  if up then
                    if useIx then
                      local ents = {}
                      for j = 0, ni - 1 do
                        local kind, ik = ARGV[is + 3 * j], ARGV[is + 3 * j + 1]
                        if kind == 's' then redis.call('SADD', ik, k) else redis.call('ZADD', ik, ARGV[is + 3 * j + 2], k) end
                        ents[#ents + 1] = kind .. ik
                      end
                      if #ents > 0 then redis.call('HSET', ixKey, k, cjson.encode(ents)) else redis.call('HDEL', ixKey, k) end
                    end
                    if cur then out[r] = 't' .. cur else out[r] = 1 end
                  else
                    redis.call('DEL', tp .. k)
                    if useIx then redis.call('HDEL', ixKey, k) end
                    out[r] = 2
                  end
                  if ver ~= '0' then
                    verArgs[#verArgs + 1] = k
                    verArgs[#verArgs + 1] = ver
                  elseif cur then
                    untomb[#untomb + 1] = k
                  end
                  if indexed then
                    chgArgs[#chgArgs + 1] = seq + r
                    chgArgs[#chgArgs + 1] = k
                  end
                end
              end
            end
            if #untomb > 0 then redis.call('HDEL', verKey, unpack(untomb)) end
            if #verArgs > 0 then redis.call('HSET', verKey, unpack(verArgs)) end
            if #chgArgs > 0 then redis.call('ZADD', chgKey, unpack(chgArgs)) end
            if guard ~= '' then redis.call('INCR', guard) end
            return out
            """;

    /**
     * Run after a chunk's plain row commands in the same {@code MULTI}: puts back the rows {@link #PREPARE_HASH}
     * moved aside (replacing what the row's commands wrote) and deletes what they wrote where no row was. ARGV:
     * table key prefix, prefix of keys moved aside. Returns how many rows it put back.
     */
    static final String RESTORE_HASH = """
            local tp, hold = ARGV[1], ARGV[2]
            local held = redis.call('LRANGE', hold .. '~', 0, -1)
            if #held == 0 then return 0 end
            redis.call('DEL', hold .. '~')
            for _, e in ipairs(held) do
              local k = string.sub(e, 2)
              if string.sub(e, 1, 1) == 'h' then redis.call('RENAME', hold .. k, tp .. k) else redis.call('DEL', tp .. k) end
            end
            return #held
            """;

    /**
     * Undoes the bookkeeping of rows whose own {@code HSET} Redis refused (the key holds another type): their version
     * in {@code ~ver} goes back to what it was, as long as no later write changed it. ARGV: table key prefix; then
     * per row key text, the version written ('0' = none) and the version before ('' = none). Returns per row the type
     * of the key.
     */
    static final String UNDO_HASH = """
            local tp = ARGV[1]
            local out = {}
            for i = 2, #ARGV, 3 do
              local k, ver, before = ARGV[i], ARGV[i + 1], ARGV[i + 2]
              local now = redis.call('HGET', tp .. '~ver', k)
              if (ver == '0' and not now) or now == ver then
                if before ~= '' then redis.call('HSET', tp .. '~ver', k, before) else redis.call('HDEL', tp .. '~ver', k) end
              end
              out[#out + 1] = redis.call('TYPE', tp .. k)['ok']
            end
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
