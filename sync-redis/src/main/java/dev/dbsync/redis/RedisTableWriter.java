package dev.dbsync.redis;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.spi.WriteResult.FailedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Writes one table. A batch is reduced to the last change of each key ({@link Batch#latestPerKey()}, in the order
 * of those last changes) and cut into chunks of {@code rows.per.script} rows, each its own {@code MULTI … EXEC}
 * (or, when the batch carries a checkpoint of the sink's own store, the whole batch and the checkpoint are one
 * {@code MULTI … EXEC}); chunks are pipelined, so Redis applies one while the next is encoded.
 *
 * <p>Hashes: a chunk is one {@link Scripts#PREPARE_HASH} call (versions of the whole chunk compared at once, deletes,
 * bookkeeping), then each row's own plain commands — {@code HSET} of its non-NULL columns and {@code HDEL} of exactly
 * the fields it must not have — and {@link Scripts#RESTORE_HASH}, which puts back the few rows the first script moved
 * aside because they must not be written (stale). Values never pass through Lua and no row needs a temporary key.
 * JSON: the values are written to staging keys, then one {@link Scripts#WRITE} call compares versions and moves each
 * staged value over its row's key.
 *
 * <p>Every reply is read: a row Redis or the script refused (a key of another type) becomes a {@link FailedEvent};
 * a refused lease a {@link LeaseException}; a transient server state ({@code OOM}, {@code BUSY}, {@code LOADING}, a
 * lost connection) a {@link RetriableException}, and writing the batch again is harmless because every row write is
 * idempotent. Nothing is buffered: {@link #flush()} has nothing to do.
 */
final class RedisTableWriter implements TableWriter {

    private final RedisConnection conn;
    private final RedisCheckpointStore store;
    private final String table;
    private final String tp;
    private final byte[] tpBytes;
    private final RedisSink.Format format;
    private final byte[] ttl;
    private final int[] setIdx;
    private final int[] sortedIdx;
    private final boolean useIx;
    private final int rowsPerScript;
    private final int[] keyIdx;
    private final List<Column> columns;
    private final byte[][] fieldNames;
    private final String[] setPrefixes;
    private final byte[][] sortedKeys;
    private final long ttlMillis;
    private final byte[] stagePrefix;
    private final ProtocolCommand stagingCommand;
    /**
     * Hashes: written in place by plain commands after {@link Scripts#PREPARE_HASH} (nothing staged, no RENAME);
     * JSON: staged and moved by {@link Scripts#WRITE}.
     */
    private final boolean inline;
    /** Whether changes are numbered in {@code ~chg} for the source's incremental reads ({@code change.index}). */
    private final boolean changeIndex;
    /** Fields every hash write removes besides its NULL columns: columns the table had before and no longer has. */
    private final byte[][] dropped;
    private byte[] writeSha;

    private static final byte[] U = {'u'};
    private static final byte[] D = {'d'};
    private static final byte[] S = {'s'};
    private static final byte[] Z = {'z'};
    private static final byte[] ZERO = {'0'};
    private static final byte[] ONE = {'1'};
    private static final byte[] EMPTY = {};
    private static final byte[] DOLLAR = {'$'};
    /** The hash field holding a row's version. */
    private static final byte[][] NO_ARGS = {};
    private static final ProtocolCommand JSON_SET = () -> "JSON.SET".getBytes(UTF_8);
    private static final byte[] PX = {'P', 'X'};
    private static final byte[][] SMALL = new byte[256][];

    static {
        for (int i = 0; i < SMALL.length; i++) {
            SMALL[i] = Integer.toString(i).getBytes(UTF_8);
        }
    }

    RedisTableWriter(RedisConnection conn, RedisCheckpointStore store, TableSchema schema, String tp,
                     RedisSink.Format format, long ttlMillis, List<Integer> sets, List<Integer> sorted, int rowsPerScript,
                     List<String> dropped, boolean changeIndex) {
        this.changeIndex = changeIndex;
        this.conn = conn;
        this.store = store;
        this.table = schema.name();
        this.tp = tp;
        this.tpBytes = tp.getBytes(UTF_8);
        this.format = format;
        this.ttl = Long.toString(ttlMillis).getBytes(UTF_8);
        this.ttlMillis = ttlMillis;
        // staging keys of this writer; a transaction always consumes its own, so they never pile up
        this.stagePrefix = (tp + "~stage" + conn.layout.sep + UUID.randomUUID().toString().substring(0, 8) + conn.layout.sep)
                .getBytes(UTF_8);
        this.stagingCommand = format == RedisSink.Format.JSON_STRING ? Protocol.Command.SET : JSON_SET;
        this.inline = format == RedisSink.Format.HASH;
        this.dropped = dropped.stream().map(d -> d.getBytes(UTF_8)).toArray(byte[][]::new);
        this.setIdx = sets.stream().mapToInt(Integer::intValue).toArray();
        this.sortedIdx = sorted.stream().mapToInt(Integer::intValue).toArray();
        this.useIx = setIdx.length + sortedIdx.length > 0;
        this.rowsPerScript = rowsPerScript;
        this.keyIdx = schema.keyIndexes();
        this.columns = schema.columns();
        this.fieldNames = new byte[columns.size()][];
        for (int i = 0; i < columns.size(); i++) {
            fieldNames[i] = columns.get(i).name().getBytes(UTF_8);
        }
        KeyLayout l = conn.layout;
        this.setPrefixes = new String[setIdx.length];
        for (int i = 0; i < setIdx.length; i++) {
            setPrefixes[i] = tp + "~idx" + l.sep + l.escape(columns.get(setIdx[i]).name()) + l.sep;
        }
        this.sortedKeys = new byte[sortedIdx.length][];
        for (int i = 0; i < sortedIdx.length; i++) {
            sortedKeys[i] = (tp + "~by" + l.sep + l.escape(columns.get(sortedIdx[i]).name())).getBytes(UTF_8);
        }
    }

    /** The key text of an event's key (escaped parts joined by the separator). */
    String keyText(List<Object> key) {
        List<String> parts = new ArrayList<>(key.size());
        for (int i = 0; i < key.size(); i++) {
            parts.add(Codec.keyText(key.get(i), columns.get(keyIdx[i])));
        }
        return conn.layout.keyText(parts);
    }

    private static byte[] num(int n) {
        return n < SMALL.length ? SMALL[n] : Integer.toString(n).getBytes(UTF_8);
    }

    /** One row encoded: its part of the script's arguments and its plain commands (none for a delete). */
    private void encode(ChangeEvent e, Chunk c) {
        List<byte[]> script = c.script;
        String k = keyText(e.key());
        byte[] kb = k.getBytes(UTF_8);
        boolean upsert = e.operation() == Operation.UPSERT;
        if (inline) {
            encodeHashRow(e, kb, upsert, c);
            return;
        }
        script.add(upsert ? U : D);
        script.add(kb);
        script.add(e.version() == 0 ? ZERO : Long.toString(e.version()).getBytes(UTF_8));
        if (!upsert) {
            script.add(ZERO);
            return;
        }
        List<Object> values = e.values();
        if (values.size() != columns.size()) {
            throw new IllegalArgumentException("the event has " + values.size() + " values for " + columns.size() + " columns");
        }
        int at = script.size();
        script.add(null);
        script.set(at, num(indexEntries(values, script)));
        byte[] stagingKey = concat(stagePrefix, kb);
        byte[] doc;
        try {
            doc = Codec.document(columns, values).getBytes(UTF_8);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("cannot encode the row as JSON: " + ex.getMessage(), ex);
        }
        byte[][] write;
        if (format == RedisSink.Format.JSON_MODULE) {
            write = new byte[][] {stagingKey, DOLLAR, doc};
        } else if (ttlMillis > 0) {
            write = new byte[][] {stagingKey, doc, PX, ttl};
        } else {
            write = new byte[][] {stagingKey, doc};
        }
        c.add(stagingCommand, write);
    }

    /** A hash row: key text and version (and index entries) for PREPARE_HASH, its operation and counts aside. */
    private void encodeHashRow(ChangeEvent e, byte[] kb, boolean upsert, Chunk c) {
        c.script.add(kb);
        c.script.add(e.version() == 0 ? ZERO : Long.toString(e.version()).getBytes(UTF_8));
        c.op = upsert ? 'u' : 'd';
        c.ni = '0';
        if (!upsert) {
            return;
        }
        List<Object> values = e.values();
        if (values.size() != columns.size()) {
            throw new IllegalArgumentException("the event has " + values.size() + " values for " + columns.size() + " columns");
        }
        int ni = indexEntries(values, c.script);
        if (ni > 200) {
            throw new IllegalArgumentException(ni + " secondary index entries; at most 200 per row");
        }
        c.ni = (char) ('0' + ni);
        encodeHash(kb, values, c);
    }

    /**
     * A hash row's own commands, queued after {@link Scripts#PREPARE_HASH}: {@code HSET} of its non-NULL columns,
     * {@code HDEL} of exactly the fields it must not have (its NULL columns and the columns the table no longer has)
     * and, with a TTL, {@code PEXPIRE}. The hash is written in place and ends up holding this row's columns only.
     */
    private void encodeHash(byte[] keyText, List<Object> values, Chunk c) {
        int nf = 0;
        for (Object v : values) {
            if (v != null) {
                nf++;
            }
        }
        if (nf == 0) {
            throw new IllegalArgumentException("every column is null; a Redis hash cannot be empty");
        }
        byte[] key = concat(tpBytes, keyText);
        byte[][] hset = new byte[1 + 2 * nf][];
        hset[0] = key;
        int at = 1;
        for (int i = 0; i < columns.size(); i++) {
            Object v = values.get(i);
            if (v != null) {
                hset[at++] = fieldNames[i];
                hset[at++] = text(v, i).getBytes(UTF_8);
            }
        }
        c.add(Protocol.Command.HSET, hset);
        int nd = columns.size() - nf + dropped.length;
        if (nd > 0) {
            byte[][] hdel = new byte[1 + nd][];
            hdel[0] = key;
            at = 1;
            for (int i = 0; i < columns.size(); i++) {
                if (values.get(i) == null) {
                    hdel[at++] = fieldNames[i];
                }
            }
            for (byte[] d : dropped) {
                hdel[at++] = d;
            }
            c.add(Protocol.Command.HDEL, hdel);
        }
        if (ttlMillis > 0) {
            c.add(Protocol.Command.PEXPIRE, new byte[][] {key, ttl});
        }
    }

    private String text(Object v, int i) {
        try {
            return Codec.text(v, columns.get(i));
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("column '" + columns.get(i).name() + "': cannot store "
                    + v.getClass().getSimpleName() + " as " + columns.get(i).type() + ": " + ex.getMessage(), ex);
        }
    }

    /** Appends a row's secondary index entries (kind, index key, score) and returns how many. */
    private int indexEntries(List<Object> values, List<byte[]> script) {
        int ni = 0;
        for (int i = 0; i < setIdx.length; i++) {
            Object v = values.get(setIdx[i]);
            if (v != null) {
                script.add(S);
                script.add((setPrefixes[i] + conn.layout.escape(Codec.keyText(v, columns.get(setIdx[i])))).getBytes(UTF_8));
                script.add(EMPTY);
                ni++;
            }
        }
        for (int i = 0; i < sortedIdx.length; i++) {
            Double score = Codec.score(values.get(sortedIdx[i]), columns.get(sortedIdx[i]));
            if (score != null) {
                script.add(Z);
                script.add(sortedKeys[i]);
                script.add(Double.toString(score).getBytes(UTF_8));
                ni++;
            }
        }
        return ni;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Up to rows.per.script rows: their events, script arguments and the plain commands around the script (JSON:
     * staging writes before it; hashes: each row's {@code HSET}/{@code HDEL}/{@code PEXPIRE} after it), with the
     * index in {@link #events} of the row each command belongs to.
     */
    private static final class Chunk {
        final List<ChangeEvent> events = new ArrayList<>();
        final List<byte[][]> staging = new ArrayList<>();
        final List<ProtocolCommand> commands = new ArrayList<>();
        final List<Integer> rowOf = new ArrayList<>();
        final List<byte[]> script = new ArrayList<>();
        /** Hashes: the rows' operations and index entry counts, a character per row (see PREPARE_HASH). */
        final StringBuilder ops = new StringBuilder();
        final StringBuilder nis = new StringBuilder();
        char op;
        char ni;

        void add(ProtocolCommand command, byte[][] args) {
            commands.add(command);
            staging.add(args);
            rowOf.add(events.size());
        }
    }

    /** Encodes events [from, to) into one chunk; rows that cannot be encoded fail alone. */
    private Chunk encodeChunk(List<ChangeEvent> events, int from, int to, List<FailedEvent> failed) {
        Chunk c = new Chunk();
        for (int i = from; i < to; i++) {
            ChangeEvent e = events.get(i);
            int mark = c.script.size();
            int staged = c.staging.size();
            try {
                encode(e, c);
            } catch (RuntimeException ex) {
                while (c.script.size() > mark) {
                    c.script.remove(c.script.size() - 1);
                }
                while (c.staging.size() > staged) {
                    c.staging.remove(c.staging.size() - 1);
                    c.commands.remove(c.commands.size() - 1);
                    c.rowOf.remove(c.rowOf.size() - 1);
                }
                failed.add(new FailedEvent(e, "table '" + table + "', key " + e.keyText() + ": " + ex.getMessage(), ex));
                continue;
            }
            c.events.add(e);
            if (inline) {
                c.ops.append(c.op);
                c.nis.append(c.ni);
            }
        }
        return c;
    }

    @Override
    public WriteResult write(Batch batch) {
        List<ChangeEvent> all = batch.events();
        List<ChangeEvent> latest = batch.latestPerKey();
        int supersededUp = 0;
        int supersededDel = 0;
        if (latest.size() != all.size()) {
            for (ChangeEvent e : all) {
                if (e.operation() == Operation.UPSERT) {
                    supersededUp++;
                } else if (e.operation() == Operation.DELETE) {
                    supersededDel++;
                }
            }
            for (ChangeEvent e : latest) {
                if (e.operation() == Operation.UPSERT) {
                    supersededUp--;
                } else if (e.operation() == Operation.DELETE) {
                    supersededDel--;
                }
            }
        }
        CheckpointUpdate cp = batch.checkpoint().filter(u -> store.holds(u.lease())).orElse(null);
        List<FailedEvent> failed = new ArrayList<>();
        int[] counts = new int[3];
        for (int attempt = 0; ; attempt++) {
            if (send(latest, cp, failed, counts)) {
                break;
            }
            // NOSCRIPT: the server lost its script cache (restart, SCRIPT FLUSH); nothing of the batch was applied
            failed.clear();
            counts[0] = counts[1] = counts[2] = 0;
            writeSha = null;
            store.forgetScripts();
            if (attempt >= 1) {
                throw new RetriableException("Redis at " + conn.where() + " keeps losing its Lua scripts (NOSCRIPT) while "
                        + "writing table '" + table + "'");
            }
        }
        return WriteResult.of(counts[1] + supersededUp, counts[2] + supersededDel, counts[0], failed);
    }

    private byte[] writeSha(Jedis j) {
        if (writeSha == null) {
            writeSha = Scripts.load(j, Scripts.WRITE);
        }
        return writeSha;
    }

    private static final byte[] PREPARE = Scripts.PREPARE_HASH.getBytes(UTF_8);
    private static final byte[] RESTORE = Scripts.RESTORE_HASH.getBytes(UTF_8);
    private static final byte[] UNDO = Scripts.UNDO_HASH.getBytes(UTF_8);

    /**
     * Queues one chunk. JSON: the staging writes, then {@link Scripts#WRITE}. Hashes: {@link Scripts#PREPARE_HASH},
     * the rows' own commands, then {@link Scripts#RESTORE_HASH}; these scripts go as {@code EVAL} (Redis finds the
     * compiled script by its digest): a script missing from a server that lost its cache must never let the plain
     * commands after it apply unchecked, and {@code EVAL} cannot answer {@code NOSCRIPT}.
     */
    private void queue(Pipeline p, byte[] sha, List<byte[]> header, Chunk c) {
        if (!inline) {
            for (int i = 0; i < c.staging.size(); i++) {
                p.sendCommand(c.commands.get(i), c.staging.get(i));
            }
            p.sendCommand(Protocol.Command.EVALSHA, args(sha, header, c.events.size(), c.script));
            return;
        }
        byte[][] a = args(PREPARE, header, c.events.size(), c.script, 2);
        a[2 + header.size()] = c.ops.toString().getBytes(UTF_8);
        a[3 + header.size()] = useIx ? c.nis.toString().getBytes(ISO_8859_1) : EMPTY;
        p.sendCommand(Protocol.Command.EVAL, a);
        for (int i = 0; i < c.staging.size(); i++) {
            p.sendCommand(c.commands.get(i), c.staging.get(i));
        }
        p.sendCommand(Protocol.Command.EVAL, RESTORE, ZERO, tpBytes, stagePrefix);
    }

    /** The number of replies a chunk's commands give inside its transaction. */
    private int replies(Chunk c) {
        return c.staging.size() + (inline ? 2 : 1);
    }

    /**
     * Sends the batch over one pipeline. Without a checkpoint each chunk is its own {@code MULTI … EXEC} sent as soon
     * as it is encoded, so Redis applies one chunk while the next is encoded; with the checkpoint the whole batch and
     * the checkpoint are one {@code MULTI … EXEC}, visible together. Every reply is read. Returns false when the
     * server had lost the script (nothing was applied).
     */
    private boolean send(List<ChangeEvent> latest, CheckpointUpdate cp, List<FailedEvent> failed, int[] counts) {
        List<Chunk> chunks = new ArrayList<>();
        List<Response<Object>> execs = new ArrayList<>();
        try (Jedis j = conn.get()) {
            byte[] sha = inline ? null : writeSha(j);
            if (cp != null) {
                store.prepare(j);
            }
            String guard = cp == null ? "" : conn.layout.meta("guard", UUID.randomUUID().toString());
            List<byte[]> header = header(cp, guard);
            Pipeline p = j.pipelined();
            if (cp != null) {
                p.sendCommand(Protocol.Command.MULTI, NO_ARGS);
            }
            for (int from = 0; from < latest.size(); from += rowsPerScript) {
                Chunk c = encodeChunk(latest, from, Math.min(latest.size(), from + rowsPerScript), failed);
                if (c.events.isEmpty()) {
                    continue;
                }
                chunks.add(c);
                if (cp == null) {
                    p.sendCommand(Protocol.Command.MULTI, NO_ARGS);
                }
                queue(p, sha, header, c);
                if (cp == null) {
                    execs.add(p.sendCommand(Protocol.Command.EXEC, NO_ARGS));
                }
            }
            if (cp != null) {
                store.queueSave(j, p, cp, guard, chunks.size());
                execs.add(p.sendCommand(Protocol.Command.EXEC, NO_ARGS));
            }
            p.sync();
        } catch (JedisException e) {
            throw Errors.translate("write " + latest.size() + " rows to table '" + table + "'", e);
        }
        // the replies of the transactions, chunk after chunk; the checkpoint last
        List<Object> results = new ArrayList<>();
        for (Response<Object> r : execs) {
            Object x;
            try {
                x = r.get();
            } catch (JedisDataException e) {
                throw Errors.translate("write rows to table '" + table + "' at " + conn.where(), e);
            }
            if (x == null) {
                throw new RetriableException("Redis at " + conn.where() + " aborted a transaction writing table '" + table + "'");
            }
            results.addAll((List<?>) x);
        }
        int at = 0;
        SyncException fatal = null;
        boolean lost = false;
        List<byte[]> undo = new ArrayList<>();
        List<ChangeEvent> undone = new ArrayList<>();
        for (Chunk c : chunks) {
            List<Object> replies = results.subList(at, at + replies(c));
            at += replies(c);
            Object r = replies.get(inline ? 0 : c.staging.size());
            if (!inline) {
                for (int s = 0; s < c.staging.size(); s++) {
                    Object x = replies.get(s);
                    if (x instanceof JedisDataException && fatal == null) {
                        fatal = Errors.translate("stage rows of table '" + table + "'", (JedisDataException) x);
                    }
                }
            } else {
                Object x = replies.get(replies.size() - 1);
                if (x instanceof JedisDataException && fatal == null) {
                    fatal = Errors.translate("put back skipped rows of table '" + table + "'", (JedisDataException) x);
                }
            }
            if (r instanceof JedisDataException) {
                // the script did not run (or stopped): its chunk's staged values must not stay behind
                dropStaging(c);
                String m = ((JedisDataException) r).getMessage();
                if (Errors.noScript(m)) {
                    lost = true;
                } else if (fatal == null || Errors.fenced(m)) {
                    fatal = Errors.translate("write rows to table '" + table + "' at " + conn.where(), (JedisDataException) r);
                }
                continue;
            }
            List<?> rows = (List<?>) r;
            // hashes: a row whose own command Redis refused (its key holds another type) fails alone
            boolean[] refused = new boolean[c.events.size()];
            if (inline) {
                for (int s = 0; s < c.staging.size(); s++) {
                    if (replies.get(1 + s) instanceof JedisDataException) {
                        refused[c.rowOf.get(s)] = true;
                    }
                }
            }
            for (int i = 0; i < c.events.size(); i++) {
                Object x = rows.get(i);
                String tomb = null;
                if (x instanceof byte[] && ((byte[]) x).length > 0 && ((byte[]) x)[0] == 't') {
                    tomb = new String((byte[]) x, 1, ((byte[]) x).length - 1, UTF_8);
                    x = 1L;
                }
                if (refused[i] && Long.valueOf(1).equals(x)) {
                    ChangeEvent e = c.events.get(i);
                    undo.add(keyText(e.key()).getBytes(UTF_8));
                    undo.add(e.version() == 0 ? ZERO : Long.toString(e.version()).getBytes(UTF_8));
                    undo.add(tomb == null ? EMPTY : tomb.getBytes(UTF_8));
                    undone.add(e);
                } else if (x instanceof Long) {
                    counts[(int) (long) (Long) x]++;
                } else {
                    String why = x instanceof byte[] ? new String((byte[]) x, UTF_8) : String.valueOf(x);
                    failed.add(new FailedEvent(c.events.get(i), "table '" + table + "', key " + c.events.get(i).keyText()
                            + ": Redis refused the row: " + why, null));
                }
            }
        }
        if (!undone.isEmpty()) {
            undo(undo, undone, failed);
        }
        if (fatal != null) {
            throw fatal;
        }
        if (lost) {
            return false;
        }
        if (cp != null) {
            Object x = results.get(at);
            if (x instanceof JedisDataException) {
                if (Errors.noScript(((JedisDataException) x).getMessage())) {
                    return false;
                }
                throw Errors.translate("save the checkpoint of table '" + table + "' with its rows", (JedisDataException) x);
            }
        }
        return true;
    }

    /**
     * Rows whose {@code HSET} Redis refused because their key holds another type: their versions go back to what they
     * were (so a later write is judged as if this one never happened) and each becomes a failed event naming the key
     * and its type.
     */
    private void undo(List<byte[]> args, List<ChangeEvent> rows, List<FailedEvent> failed) {
        byte[][] a = new byte[3 + args.size()][];
        a[0] = UNDO;
        a[1] = ZERO;
        a[2] = tpBytes;
        for (int i = 0; i < args.size(); i++) {
            a[3 + i] = args.get(i);
        }
        List<?> types;
        try (Jedis j = conn.get()) {
            types = (List<?>) j.sendCommand(Protocol.Command.EVAL, a);
        } catch (JedisException e) {
            throw Errors.translate("undo the versions of " + rows.size() + " refused rows of table '" + table + "'", e);
        }
        for (int i = 0; i < rows.size(); i++) {
            ChangeEvent e = rows.get(i);
            Object t = types.get(i);
            String type = t instanceof byte[] ? new String((byte[]) t, UTF_8) : String.valueOf(t);
            failed.add(new FailedEvent(e, "table '" + table + "', key " + e.keyText() + ": Redis refused the row: WRONGTYPE key "
                    + tp + keyText(e.key()) + " holds a " + type + ", not a hash", null));
        }
    }

    /** Removes the staging keys of a chunk whose script did not run (JSON; hashes stage nothing). */
    private void dropStaging(Chunk c) {
        if (inline || c.staging.isEmpty()) {
            return;
        }
        try (Jedis j = conn.get()) {
            Pipeline p = j.pipelined();
            for (byte[][] w : c.staging) {
                p.del(w[0]);
            }
            p.sync();
        } catch (JedisException e) {
            // left-overs under ~stage are removed by truncate and never read as rows
        }
    }

    private List<byte[]> header(CheckpointUpdate cp, String guard) {
        List<byte[]> h = new ArrayList<>(List.of(tpBytes, new byte[] {(byte) format.code}, ttl,
                cp == null ? EMPTY : store.leaseKey(cp.lease().pipeline()).getBytes(UTF_8),
                cp == null ? EMPTY : Long.toString(cp.lease().token()).getBytes(UTF_8), EMPTY,
                useIx ? ONE : ZERO, guard.getBytes(UTF_8), stagePrefix, changeIndex ? ONE : ZERO));
        if (inline) {
            // commands of their own (TTL, indexes) must never touch a key of another type: check types first
            h.add(useIx || ttlMillis > 0 ? ONE : ZERO);
        }
        return h;
    }

    private static byte[][] args(byte[] script, List<byte[]> header, int rows, List<byte[]> body) {
        return args(script, header, rows, body, 0);
    }

    /** EVAL/EVALSHA arguments: script, no keys, the header, {@code gap} slots left for the caller, the body. */
    private static byte[][] args(byte[] script, List<byte[]> header, int rows, List<byte[]> body, int gap) {
        byte[][] args = new byte[2 + header.size() + gap + body.size()][];
        args[0] = script;
        args[1] = ZERO;
        for (int h = 0; h < header.size(); h++) {
            args[2 + h] = h == 5 ? num(rows) : header.get(h);
        }
        for (int b = 0; b < body.size(); b++) {
            args[2 + header.size() + gap + b] = body.get(b);
        }
        return args;
    }

    /**
     * Queues {@code events} in a {@code MULTI} on a connection of its own and returns what applies them (EXEC); for
     * tests of readers racing a writer whose changes become visible late.
     */
    Runnable beginTransaction(List<ChangeEvent> events) {
        Chunk c = encodeChunk(events, 0, events.size(), new ArrayList<>());
        Jedis j = conn.get();
        byte[] sha = inline ? null : writeSha(j);
        Pipeline p = j.pipelined();
        p.sendCommand(Protocol.Command.MULTI, NO_ARGS);
        queue(p, sha, header(null, ""), c);
        p.sync();
        return () -> {
            try (j) {
                Object r = j.sendCommand(Protocol.Command.EXEC, NO_ARGS);
                if (!(r instanceof List) || ((List<?>) r).stream().anyMatch(x -> x instanceof Exception)) {
                    throw new IllegalStateException("the late transaction failed: " + r);
                }
            }
        };
    }

    @Override
    public void flush() {
        // every write is sent and applied before write() returns
    }

    /**
     * Removes the table's rows and bookkeeping (versions, change index, secondary indexes) with SCAN and UNLINK.
     * Keeps the schema and the change sequence, so incremental readers never see a sequence number twice. Not
     * atomic: rows written by another process meanwhile may survive.
     */
    @Override
    public void truncate() {
        byte[] keep1 = (tp + "~schema").getBytes(UTF_8);
        byte[] keep2 = (tp + "~seq").getBytes(UTF_8);
        ScanParams params = new ScanParams().match(KeyLayout.globPrefix(tp).getBytes(UTF_8)).count(1000);
        try (Jedis j = conn.get()) {
            byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
            do {
                ScanResult<byte[]> r = j.scan(cursor, params);
                List<byte[]> keys = new ArrayList<>();
                for (byte[] k : r.getResult()) {
                    if (!java.util.Arrays.equals(k, keep1) && !java.util.Arrays.equals(k, keep2)) {
                        keys.add(k);
                    }
                }
                if (!keys.isEmpty()) {
                    j.unlink(keys.toArray(new byte[0][]));
                }
                cursor = r.getCursorAsBytes();
            } while (!java.util.Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
        } catch (JedisException e) {
            throw Errors.translate("truncate table '" + table + "'", e);
        }
    }

    @Override
    public void close() {
        // nothing buffered, nothing held: connections belong to the sink's pool
    }
}
