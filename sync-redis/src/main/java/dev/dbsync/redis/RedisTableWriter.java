package dev.dbsync.redis;

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
 * of those last changes) and cut into chunks of {@code rows.per.script} rows. A chunk is its rows' values written
 * to staging keys with plain {@code HSET}/{@code SET}, then one {@link Scripts#WRITE} call that compares versions
 * and moves each staged value over its row's key; chunks are pipelined, each its own {@code MULTI … EXEC}, or,
 * when the batch carries a checkpoint of the sink's own store, the whole batch and the checkpoint are one
 * {@code MULTI … EXEC}. Every reply is read: a row the script refused (a key of another type) becomes a
 * {@link FailedEvent}; a refused lease a {@link LeaseException}; a transient server state ({@code OOM},
 * {@code BUSY}, {@code LOADING}, a lost connection) a {@link RetriableException}, and writing the batch again is
 * harmless because every row write is idempotent. Nothing is buffered: {@link #flush()} has nothing to do.
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
    static final String VERSION = "~v";
    private static final byte[] VERSION_FIELD = VERSION.getBytes(UTF_8);
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
                     RedisSink.Format format, long ttlMillis, List<Integer> sets, List<Integer> sorted, int rowsPerScript) {
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
        this.stagingCommand = format == RedisSink.Format.HASH ? Protocol.Command.HSET
                : format == RedisSink.Format.JSON_STRING ? Protocol.Command.SET : JSON_SET;
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

    /** One row encoded: the staging write (null for a delete) and its part of the script's arguments. */
    private void encode(ChangeEvent e, List<byte[][]> staging, List<byte[]> script) {
        String k = keyText(e.key());
        byte[] kb = k.getBytes(UTF_8);
        boolean upsert = e.operation() == Operation.UPSERT;
        int mark = script.size();
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
        byte[] stagingKey = concat(stagePrefix, kb);
        byte[][] write;
        if (format == RedisSink.Format.HASH) {
            int n = 0;
            for (Object v : values) {
                if (v != null) {
                    n++;
                }
            }
            if (n == 0) {
                throw new IllegalArgumentException("every column is null; a Redis hash cannot be empty");
            }
            boolean versioned = e.version() != 0;
            write = new byte[1 + 2 * n + (versioned ? 2 : 0)][];
            write[0] = stagingKey;
            int at = 1;
            if (versioned) {
                // the version travels in the hash itself, so a write needs no second structure
                write[at++] = VERSION_FIELD;
                write[at++] = script.get(mark + 2);
            }
            for (int i = 0; i < columns.size(); i++) {
                Object v = values.get(i);
                if (v != null) {
                    String text;
                    try {
                        text = Codec.text(v, columns.get(i));
                    } catch (RuntimeException ex) {
                        throw new IllegalArgumentException("column '" + columns.get(i).name() + "': cannot store "
                                + v.getClass().getSimpleName() + " as " + columns.get(i).type() + ": " + ex.getMessage(), ex);
                    }
                    write[at++] = fieldNames[i];
                    write[at++] = text.getBytes(UTF_8);
                }
            }
        } else {
            byte[] doc;
            try {
                doc = Codec.document(columns, values).getBytes(UTF_8);
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException("cannot encode the row as JSON: " + ex.getMessage(), ex);
            }
            if (format == RedisSink.Format.JSON_MODULE) {
                write = new byte[][] {stagingKey, DOLLAR, doc};
            } else if (ttlMillis > 0) {
                write = new byte[][] {stagingKey, doc, PX, ttl};
            } else {
                write = new byte[][] {stagingKey, doc};
            }
        }
        int at = script.size();
        script.add(null);
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
        script.set(at, num(ni));
        if (script.size() < mark) {
            throw new IllegalStateException();
        }
        staging.add(write);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Up to rows.per.script rows: their events, staging writes and script arguments. */
    private static final class Chunk {
        final List<ChangeEvent> events = new ArrayList<>();
        final List<byte[][]> staging = new ArrayList<>();
        final List<byte[]> script = new ArrayList<>();
    }

    /** Encodes events [from, to) into one chunk; rows that cannot be encoded fail alone. */
    private Chunk encodeChunk(List<ChangeEvent> events, int from, int to, List<FailedEvent> failed) {
        Chunk c = new Chunk();
        for (int i = from; i < to; i++) {
            ChangeEvent e = events.get(i);
            int mark = c.script.size();
            int staged = c.staging.size();
            try {
                encode(e, c.staging, c.script);
            } catch (RuntimeException ex) {
                while (c.script.size() > mark) {
                    c.script.remove(c.script.size() - 1);
                }
                while (c.staging.size() > staged) {
                    c.staging.remove(c.staging.size() - 1);
                }
                failed.add(new FailedEvent(e, "table '" + table + "', key " + e.keyText() + ": " + ex.getMessage(), ex));
                continue;
            }
            c.events.add(e);
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

    /**
     * Sends the batch over one pipeline. Without a checkpoint each chunk is its own {@code MULTI} (staging writes
     * and the script) sent as soon as it is encoded, so Redis applies one chunk while the next is encoded; with the
     * checkpoint the whole batch and the checkpoint are one {@code MULTI … EXEC}, visible together. Every reply is
     * read. Returns false when the server had lost the script (nothing was applied).
     */
    private boolean send(List<ChangeEvent> latest, CheckpointUpdate cp, List<FailedEvent> failed, int[] counts) {
        List<Chunk> chunks = new ArrayList<>();
        List<Response<Object>> execs = new ArrayList<>();
        try (Jedis j = conn.get()) {
            byte[] sha = writeSha(j);
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
                for (byte[][] w : c.staging) {
                    p.sendCommand(stagingCommand, w);
                }
                p.sendCommand(Protocol.Command.EVALSHA, args(sha, header, c.events.size(), c.script));
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
        // the replies of a transaction: per chunk its staging writes, then its script; the checkpoint last
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
        for (Chunk c : chunks) {
            for (int s = 0; s < c.staging.size(); s++) {
                Object x = results.get(at++);
                if (x instanceof JedisDataException && fatal == null) {
                    fatal = Errors.translate("stage rows of table '" + table + "'", (JedisDataException) x);
                }
            }
            Object r = results.get(at++);
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
            for (int i = 0; i < c.events.size(); i++) {
                Object x = rows.get(i);
                if (x instanceof Long) {
                    counts[(int) (long) (Long) x]++;
                } else {
                    String why = x instanceof byte[] ? new String((byte[]) x, UTF_8) : String.valueOf(x);
                    failed.add(new FailedEvent(c.events.get(i), "table '" + table + "', key " + c.events.get(i).keyText()
                            + ": Redis refused the row: " + why, null));
                }
            }
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

    /** Removes the staging keys of a chunk whose script did not run. */
    private void dropStaging(Chunk c) {
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
        return List.of(tpBytes, new byte[] {(byte) format.code}, ttl,
                cp == null ? EMPTY : store.leaseKey(cp.lease().pipeline()).getBytes(UTF_8),
                cp == null ? EMPTY : Long.toString(cp.lease().token()).getBytes(UTF_8), EMPTY,
                useIx ? ONE : ZERO, guard.getBytes(UTF_8), stagePrefix);
    }

    private static byte[][] args(byte[] sha, List<byte[]> header, int rows, List<byte[]> body) {
        byte[][] args = new byte[2 + header.size() + body.size()][];
        args[0] = sha;
        args[1] = ZERO;
        for (int h = 0; h < header.size(); h++) {
            args[2 + h] = h == 5 ? num(rows) : header.get(h);
        }
        for (int b = 0; b < body.size(); b++) {
            args[2 + header.size() + b] = body.get(b);
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
        byte[] sha = writeSha(j);
        Pipeline p = j.pipelined();
        p.sendCommand(Protocol.Command.MULTI, NO_ARGS);
        for (byte[][] w : c.staging) {
            p.sendCommand(stagingCommand, w);
        }
        p.sendCommand(Protocol.Command.EVALSHA, args(sha, header(null, ""), c.events.size(), c.script));
        p.sync();
        return () -> {
            try (j) {
                Object r = j.sendCommand(Protocol.Command.EXEC, NO_ARGS);
                if (!(r instanceof List) || ((List<?>) r).get(((List<?>) r).size() - 1) instanceof Exception) {
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
