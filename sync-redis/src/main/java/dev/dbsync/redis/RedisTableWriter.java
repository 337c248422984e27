package dev.dbsync.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
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
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Writes one table. A batch is reduced to the last change of each key ({@link Batch#latestPerKey()}, in the order
 * of those last changes), encoded, and sent as one {@code MULTI … EXEC} of {@link Scripts#WRITE} calls of
 * {@code rows.per.script} rows each, pipelined, followed by the batch's checkpoint when the sink's own checkpoint
 * store handed out its lease. Every reply is read: a row the script refused (a key of another type) becomes a
 * {@link FailedEvent}; a refused lease a {@link LeaseException}; a transient server state ({@code OOM},
 * {@code BUSY}, {@code LOADING}, a lost connection) a {@link RetriableException}, and writing the batch again is
 * harmless because every row write is idempotent. Nothing is buffered: {@link #flush()} has nothing to do.
 */
final class RedisTableWriter implements TableWriter {

    private final RedisConnection conn;
    private final RedisCheckpointStore store;
    private final TableSchema schema;
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
    private byte[] writeSha;

    private static final byte[] U = {'u'};
    private static final byte[] D = {'d'};
    private static final byte[] S = {'s'};
    private static final byte[] Z = {'z'};
    private static final byte[] ZERO = {'0'};
    private static final byte[] ONE = {'1'};
    private static final byte[] EMPTY = {};
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
        this.schema = schema;
        this.table = schema.name();
        this.tp = tp;
        this.tpBytes = tp.getBytes(UTF_8);
        this.format = format;
        this.ttl = Long.toString(ttlMillis).getBytes(UTF_8);
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

    /** Appends one row's script arguments; throws IllegalArgumentException/ClassCastException for a bad value. */
    private void encode(ChangeEvent e, List<byte[]> out) {
        String k = keyText(e.key());
        boolean upsert = e.operation() == Operation.UPSERT;
        out.add(upsert ? U : D);
        out.add(k.getBytes(UTF_8));
        out.add(e.version() == 0 ? ZERO : Long.toString(e.version()).getBytes(UTF_8));
        if (!upsert) {
            out.add(ZERO);
            out.add(ZERO);
            return;
        }
        List<Object> values = e.values();
        if (values.size() != columns.size()) {
            throw new IllegalArgumentException("the event has " + values.size() + " values for " + columns.size() + " columns");
        }
        if (format == RedisSink.Format.HASH) {
            int at = out.size();
            out.add(null);
            int n = 0;
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
                    out.add(fieldNames[i]);
                    out.add(text.getBytes(UTF_8));
                    n += 2;
                }
            }
            if (n == 0) {
                throw new IllegalArgumentException("every column is null; a Redis hash cannot be empty");
            }
            out.set(at, num(n));
        } else {
            out.add(ONE);
            try {
                out.add(Codec.document(columns, values).getBytes(UTF_8));
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException("cannot encode the row as JSON: " + ex.getMessage(), ex);
            }
        }
        int at = out.size();
        out.add(null);
        int ni = 0;
        for (int i = 0; i < setIdx.length; i++) {
            Object v = values.get(setIdx[i]);
            if (v != null) {
                out.add(S);
                out.add((setPrefixes[i] + conn.layout.escape(Codec.keyText(v, columns.get(setIdx[i])))).getBytes(UTF_8));
                out.add(EMPTY);
                ni++;
            }
        }
        for (int i = 0; i < sortedIdx.length; i++) {
            Double score = Codec.score(values.get(sortedIdx[i]), columns.get(sortedIdx[i]));
            if (score != null) {
                out.add(Z);
                out.add(sortedKeys[i]);
                out.add(Double.toString(score).getBytes(UTF_8));
                ni++;
            }
        }
        out.set(at, num(ni));
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
        List<FailedEvent> failed = new ArrayList<>();
        List<List<ChangeEvent>> chunkEvents = new ArrayList<>();
        List<List<byte[]>> chunkArgs = new ArrayList<>();
        List<ChangeEvent> cur = new ArrayList<>();
        List<byte[]> curArgs = new ArrayList<>();
        for (ChangeEvent e : latest) {
            int mark = curArgs.size();
            try {
                encode(e, curArgs);
            } catch (RuntimeException ex) {
                while (curArgs.size() > mark) {
                    curArgs.remove(curArgs.size() - 1);
                }
                failed.add(new FailedEvent(e, "table '" + table + "', key " + e.keyText() + ": " + ex.getMessage(), ex));
                continue;
            }
            cur.add(e);
            if (cur.size() == rowsPerScript) {
                chunkEvents.add(cur);
                chunkArgs.add(curArgs);
                cur = new ArrayList<>();
                curArgs = new ArrayList<>();
            }
        }
        if (!cur.isEmpty()) {
            chunkEvents.add(cur);
            chunkArgs.add(curArgs);
        }
        CheckpointUpdate cp = batch.checkpoint().filter(u -> store.holds(u.lease())).orElse(null);
        int[] counts = new int[3];
        if (!chunkEvents.isEmpty() || cp != null) {
            send(chunkEvents, chunkArgs, cp, failed, counts);
        }
        return WriteResult.of(counts[1] + supersededUp, counts[2] + supersededDel, counts[0], failed);
    }

    private byte[] writeSha(Jedis j) {
        if (writeSha == null) {
            writeSha = Scripts.load(j, Scripts.WRITE);
        }
        return writeSha;
    }

    /** Sends the chunks (and the checkpoint) in one transaction; a script cache emptied meanwhile is refilled once. */
    private void send(List<List<ChangeEvent>> chunkEvents, List<List<byte[]>> chunkArgs, CheckpointUpdate cp,
                      List<FailedEvent> failed, int[] counts) {
        for (int attempt = 0; ; attempt++) {
            int failedBefore = failed.size();
            try (Jedis j = conn.get()) {
                if (sendOnce(j, chunkEvents, chunkArgs, cp, failed, counts)) {
                    return;
                }
            } catch (JedisException e) {
                throw Errors.translate("write " + rows(chunkEvents) + " rows to table '" + table + "'", e);
            }
            // NOSCRIPT: the server lost its script cache (restart, SCRIPT FLUSH); nothing of the batch was applied
            while (failed.size() > failedBefore) {
                failed.remove(failed.size() - 1);
            }
            counts[0] = counts[1] = counts[2] = 0;
            writeSha = null;
            store.forgetScripts();
            if (attempt >= 1) {
                throw new RetriableException("Redis at " + conn.where() + " keeps losing its Lua scripts (NOSCRIPT) while "
                        + "writing table '" + table + "'");
            }
        }
    }

    private static int rows(List<List<ChangeEvent>> chunks) {
        int n = 0;
        for (List<ChangeEvent> c : chunks) {
            n += c.size();
        }
        return n;
    }

    /** A batch queued inside an open {@code MULTI}: nothing of it is applied, or numbered, before EXEC. */
    private final class Queued {
        final List<List<ChangeEvent>> chunkEvents;
        final List<Response<Object>> replies = new ArrayList<>();
        final AbstractTransaction tx;
        Response<Object> cpReply;

        Queued(Jedis j, List<List<ChangeEvent>> chunkEvents, List<List<byte[]>> chunkArgs, CheckpointUpdate cp) {
            this.chunkEvents = chunkEvents;
            byte[] sha = writeSha(j);
            if (cp != null) {
                store.prepare(j);
            }
            String guard = cp == null ? "" : conn.layout.meta("guard", UUID.randomUUID().toString());
            List<byte[]> header = List.of(tpBytes, new byte[] {(byte) format.code}, ttl,
                    cp == null ? EMPTY : store.leaseKey(cp.lease().pipeline()).getBytes(UTF_8),
                    cp == null ? EMPTY : Long.toString(cp.lease().token()).getBytes(UTF_8), EMPTY,
                    useIx ? ONE : ZERO, guard.getBytes(UTF_8));
            tx = j.multi();
            for (int c = 0; c < chunkEvents.size(); c++) {
                List<byte[]> args = new ArrayList<>(header.size() + chunkArgs.get(c).size());
                for (int h = 0; h < header.size(); h++) {
                    args.add(h == 5 ? num(chunkEvents.get(c).size()) : header.get(h));
                }
                args.addAll(chunkArgs.get(c));
                replies.add(tx.evalsha(sha, List.of(), args));
            }
            cpReply = cp == null ? null : store.queueSave(j, tx, cp, guard, chunkEvents.size());
        }

        /** EXEC, then every reply checked; false when the server had lost the scripts (nothing was applied). */
        boolean exec(List<FailedEvent> failed, int[] counts) {
            try {
                tx.exec();
            } finally {
                tx.close();
            }
            SyncException fatal = null;
            for (int c = 0; c < replies.size(); c++) {
                Object r;
                try {
                    r = replies.get(c).get();
                } catch (JedisDataException e) {
                    String m = e.getMessage();
                    if (Errors.noScript(m)) {
                        return false;
                    }
                    if (fatal == null || Errors.fenced(m)) {
                        fatal = Errors.translate("write rows to table '" + table + "' at " + conn.where(), e);
                    }
                    continue;
                }
                List<?> results = (List<?>) r;
                List<ChangeEvent> events = chunkEvents.get(c);
                for (int i = 0; i < events.size(); i++) {
                    Object x = results.get(i);
                    if (x instanceof Long) {
                        counts[(int) (long) (Long) x]++;
                    } else {
                        String why = x instanceof byte[] ? new String((byte[]) x, UTF_8) : String.valueOf(x);
                        failed.add(new FailedEvent(events.get(i), "table '" + table + "', key " + events.get(i).keyText()
                                + ": Redis refused the row: " + why, null));
                    }
                }
            }
            if (fatal != null) {
                throw fatal;
            }
            if (cpReply != null) {
                try {
                    cpReply.get();
                } catch (JedisDataException e) {
                    if (Errors.noScript(e.getMessage())) {
                        return false;
                    }
                    throw Errors.translate("save the checkpoint of table '" + table + "' with its rows", e);
                }
            }
            return true;
        }
    }

    private boolean sendOnce(Jedis j, List<List<ChangeEvent>> chunkEvents, List<List<byte[]>> chunkArgs, CheckpointUpdate cp,
                             List<FailedEvent> failed, int[] counts) {
        return new Queued(j, chunkEvents, chunkArgs, cp).exec(failed, counts);
    }

    /**
     * Queues {@code events} in a {@code MULTI} on a connection of its own and returns what applies them (EXEC); for
     * tests of readers racing a writer whose changes become visible late.
     */
    Runnable beginTransaction(List<ChangeEvent> events) {
        List<byte[]> args = new ArrayList<>();
        for (ChangeEvent e : events) {
            encode(e, args);
        }
        Jedis j = conn.get();
        Queued q = new Queued(j, List.of(events), List.of(args), null);
        return () -> {
            try (j) {
                if (!q.exec(new ArrayList<>(), new int[3])) {
                    throw new IllegalStateException("scripts lost");
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

    TableSchema schema() {
        return schema;
    }

    static SyncException internal(String message) {
        return new SyncException(ErrorType.INTERNAL, message);
    }
}
