package dev.dbsync.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.WriteResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * Reads tables the Redis sink wrote.
 *
 * <ul>
 *   <li><b>Schema</b>: from {@code prefix:T:~schema}, stored by the sink. A table without it (keys other programs
 *       wrote) cannot be described.</li>
 *   <li><b>Snapshot</b>: the keys matching {@code prefix:T:*} are collected with SCAN, sorted by their typed key
 *       values and read in key order, so a snapshot can resume exactly after any event (a SCAN cursor cannot: it
 *       may return a key twice and cannot resume inside one step). The sorted key list of a running snapshot is
 *       kept between chunks (about 100 bytes per row); a restarted process scans again once. Keys that appear
 *       after the scan are left to the incremental reads that follow.</li>
 *   <li><b>Incremental</b> (only for tables whose sink runs with {@code change.index: true}; others are refused,
 *       naming the setting): from the change index {@code prefix:T:~chg}, a sorted set of keys scored by a per-table
 *       sequence the sink's scripts assign in the same atomic step as the write, so every change below a visible
 *       number is visible too and no safe-bound lag is needed. A key whose row is gone is a DELETE. The configured
 *       cursor column is checked to exist but does not drive the reads. Not seen incrementally: keys written or
 *       deleted by other programs, keys that expired by TTL, and truncations — only a full snapshot sees those.</li>
 * </ul>
 */
final class RedisSource implements Source {

    private final RedisConnection conn;
    private final int scanCount;
    private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();

    /** The sorted keys of a running snapshot. */
    private record Snapshot(TableSchema schema, List<Object[]> keys, List<String> texts) {
    }

    RedisSource(RedisConnection conn, int scanCount) {
        this.conn = conn;
        this.scanCount = scanCount;
    }

    @Override
    public List<String> listTables() {
        try (Jedis j = conn.get()) {
            List<String> out = new ArrayList<>(j.smembers(conn.layout.tablesKey()));
            Collections.sort(out);
            return out;
        } catch (JedisException e) {
            throw Errors.translate("list tables", e);
        }
    }

    @Override
    public TableSchema describe(TableSpec spec) {
        String tp = conn.layout.tablePrefix(spec.table());
        String json;
        try (Jedis j = conn.get()) {
            json = j.get(tp + "~schema");
        } catch (JedisException e) {
            throw Errors.translate("describe table '" + spec.table() + "'", e);
        }
        if (json == null) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "' not found in Redis at " + conn.where()
                    + ": no schema at key " + tp + "~schema; the redis source reads tables the redis sink wrote "
                    + "(same key.prefix and key.separator)");
        }
        TableSchema schema;
        try {
            schema = RedisSink.parseSchema(spec.table(), Codec.JSON.readTree(json));
        } catch (IOException | RuntimeException e) {
            throw new SyncException(ErrorType.EXTERNAL, "table '" + spec.table() + "': the schema at " + tp
                    + "~schema cannot be read: " + e.getMessage(), e);
        }
        if (!spec.keyColumns().isEmpty() && !spec.keyColumns().equals(schema.primaryKey())) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': keys in Redis are " + schema.primaryKey()
                    + "; a different key " + spec.keyColumns() + " cannot be used");
        }
        for (String c : spec.cursorColumns()) {
            if (schema.indexOf(c) < 0) {
                throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "' has no cursor column '" + c
                        + "'; columns are " + schema.columnNames());
            }
        }
        if (spec.softDeleteColumn() != null && schema.indexOf(spec.softDeleteColumn()) < 0) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "' has no soft-delete column '"
                    + spec.softDeleteColumn() + "'; columns are " + schema.columnNames());
        }
        return schema;
    }

    @Override
    public OptionalLong estimateRows(TableSpec spec) {
        try (Jedis j = conn.get()) {
            return OptionalLong.of(j.zcard(conn.layout.tablePrefix(spec.table()) + "~chg"));
        } catch (JedisException e) {
            return OptionalLong.empty();
        }
    }

    private Object[] parseKey(TableSchema schema, String text) {
        List<String> pk = schema.primaryKey();
        List<String> parts = conn.layout.parts(text, pk.size());
        Object[] key = new Object[pk.size()];
        for (int i = 0; i < key.length; i++) {
            key[i] = Codec.parse(parts.get(i), schema.column(pk.get(i)));
        }
        return key;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int compareKeys(Object[] a, Object[] b) {
        for (int i = 0; i < a.length; i++) {
            Object x = a[i];
            Object y = b[i];
            int c;
            if (x == null || y == null) {
                c = x == null ? (y == null ? 0 : -1) : 1;
            } else if (x instanceof byte[]) {
                c = Arrays.compareUnsigned((byte[]) x, (byte[]) y);
            } else {
                c = ((Comparable) x).compareTo(y);
            }
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private Snapshot scan(TableSchema schema, String table) {
        String tp = conn.layout.tablePrefix(table);
        List<Object[]> keys = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        ScanParams params = new ScanParams().match(KeyLayout.globPrefix(tp)).count(scanCount);
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (Jedis j = conn.get()) {
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> r = j.scan(cursor, params);
                for (String k : r.getResult()) {
                    String text = k.substring(tp.length());
                    if (text.startsWith("~") || !seen.add(text)) {
                        continue;
                    }
                    Object[] key;
                    try {
                        key = parseKey(schema, text);
                    } catch (RuntimeException e) {
                        continue; // not a row key of this table (another program's key under the same prefix)
                    }
                    keys.add(key);
                    texts.add(text);
                }
                cursor = r.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        } catch (JedisException e) {
            throw Errors.translate("scan table '" + table + "'", e);
        }
        Integer[] order = new Integer[keys.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparing(i -> keys.get(i), RedisSource::compareKeys));
        List<Object[]> sk = new ArrayList<>(order.length);
        List<String> st = new ArrayList<>(order.length);
        for (Integer i : order) {
            sk.add(keys.get(i));
            st.add(texts.get(i));
        }
        return new Snapshot(schema, sk, st);
    }

    @Override
    public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        Snapshot snap = snapshots.get(spec.table());
        if (after == null || snap == null || !snap.schema().equals(schema)) {
            snap = scan(schema, spec.table());
            snapshots.put(spec.table(), snap);
        }
        int from = 0;
        if (after != null) {
            Object[] a = after.values().toArray();
            int lo = 0;
            int hi = snap.keys().size();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (compareKeys(snap.keys().get(mid), a) <= 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            from = lo;
        }
        List<ChangeEvent> events = new ArrayList<>();
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        Position next = after;
        String tp = conn.layout.tablePrefix(spec.table());
        int i = from;
        int n = snap.keys().size();
        // keys deleted since the scan give no event: read on until something is found or the end is reached
        while (events.isEmpty() && failed.isEmpty() && i < n) {
            int to = Math.min(n, i + maxRows);
            List<String> texts = snap.texts().subList(i, to);
            List<Object> values = fetch(spec.table(), schema, tp, texts, true);
            for (int r = 0; r < texts.size(); r++) {
                Object[] key = snap.keys().get(i + r);
                Decoded row = (Decoded) values.get(2 * r);
                if (row == null) {
                    continue;
                }
                long version = values.get(2 * r + 1) == null ? 0 : ((Double) values.get(2 * r + 1)).longValue();
                ChangeEvent e = event(spec, schema, key, row.row(), version, Position.of(key), true);
                next = e.position();
                if (row.problem() == null) {
                    events.add(e);
                } else {
                    failed.add(new WriteResult.FailedEvent(e, row.problem(), row.cause()));
                }
            }
            i = to;
        }
        if (i >= n) {
            snapshots.remove(spec.table());
        }
        return new Chunk(events, next, i >= n, failed);
    }

    private ChangeEvent event(TableSpec spec, TableSchema schema, Object[] key, Object[] row, long version, Position pos,
                              boolean snapshot) {
        String sd = spec.softDeleteColumn();
        if (sd != null) {
            int c = schema.indexOf(sd);
            Object v = row[c];
            if (v != null && spec.softDeleteValue().equalsIgnoreCase(Codec.text(v, schema.columns().get(c)))) {
                return ChangeEvent.delete(spec.table(), key, row, version, pos);
            }
        }
        return snapshot ? ChangeEvent.read(spec.table(), key, row, version, pos)
                : ChangeEvent.upsert(spec.table(), key, row, version, pos);
    }

    /**
     * The rows (null = gone) and, when asked, their change numbers, two entries per key, read in one pipeline.
     */
    private List<Object> fetch(String table, TableSchema schema, String tp, List<String> texts, boolean versions) {
        String format;
        try (Jedis j = conn.get()) {
            format = Codec.JSON.readTree(j.get(tp + "~schema")).path("format").asText("hash");
            Pipeline p = j.pipelined();
            List<Response<?>> rows = new ArrayList<>(texts.size());
            List<Response<Double>> scores = new ArrayList<>(texts.size());
            byte[] chg = (tp + "~chg").getBytes(UTF_8);
            for (String t : texts) {
                byte[] key = (tp + t).getBytes(UTF_8);
                if (format.equals("hash")) {
                    rows.add(p.hgetAll(key));
                } else {
                    rows.add(p.get(key));
                }
                scores.add(versions ? p.zscore(chg, t.getBytes(UTF_8)) : null);
            }
            p.sync();
            List<Object> out = new ArrayList<>(2 * texts.size());
            for (int r = 0; r < texts.size(); r++) {
                Object v;
                Decoded d;
                try {
                    v = rows.get(r).get();
                    d = decode(table, schema, tp + texts.get(r), format, v);
                } catch (redis.clients.jedis.exceptions.JedisDataException e) {
                    d = otherType(j, table, schema, tp + texts.get(r), format, e);
                }
                out.add(d);
                out.add(versions ? scores.get(r).get() : null);
            }
            return out;
        } catch (JedisException e) {
            throw Errors.translate("read table '" + table + "'", e);
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "table '" + table + "': the schema at " + tp + "~schema cannot be read", e);
        }
    }

    /**
     * A key that {@code GET}/{@code HGETALL} refused: a JSON table's row stored by {@code JSON.SET} (RedisJSON) is
     * read with {@code JSON.GET}; anything else is a key of another type, which fails its row alone.
     */
    private Decoded otherType(Jedis j, String table, TableSchema schema, String key, String format, Exception refused) {
        if (!format.equals("hash")) {
            try {
                return decode(table, schema, key, format, j.sendCommand(() -> "JSON.GET".getBytes(UTF_8), key.getBytes(UTF_8)));
            } catch (redis.clients.jedis.exceptions.JedisDataException e) {
                // not a RedisJSON document either
            }
        }
        return new Decoded(new Object[schema.columns().size()], "table '" + table + "': key " + key
                + " cannot be read as " + format + ": " + refused.getMessage(), refused);
    }

    /** A row as far as it could be read: {@code problem} names the key and column that could not (null = all read). */
    private record Decoded(Object[] row, String problem, Exception cause) {
    }

    /**
     * Decodes a stored value; null when the key is gone. A field that does not parse as its column's type (a key
     * another program wrote) is null in the row and named in {@link Decoded#problem()}: the row fails alone.
     */
    @SuppressWarnings("unchecked")
    private Decoded decode(String table, TableSchema schema, String key, String format, Object v) {
        List<Column> cols = schema.columns();
        Object[] row = new Object[cols.size()];
        String problem = null;
        Exception cause = null;
        if (format.equals("hash")) {
            Map<byte[], byte[]> h = (Map<byte[], byte[]>) v;
            if (h == null || h.isEmpty()) {
                return null;
            }
            Map<String, String> fields = new java.util.HashMap<>(h.size() * 2);
            h.forEach((f, x) -> fields.put(new String(f, UTF_8), new String(x, UTF_8)));
            for (int i = 0; i < row.length; i++) {
                try {
                    row[i] = Codec.parse(fields.get(cols.get(i).name()), cols.get(i));
                } catch (RuntimeException e) {
                    if (problem == null) {
                        problem = "table '" + table + "': key " + key + ", column '" + cols.get(i).name() + "': '"
                                + fields.get(cols.get(i).name()) + "' is not a " + cols.get(i).type() + " (" + e.getMessage() + ")";
                        cause = e;
                    }
                }
            }
        } else {
            if (v == null) {
                return null;
            }
            JsonNode doc;
            try {
                doc = Codec.JSON.readTree(v instanceof byte[] ? new String((byte[]) v, UTF_8) : (String) v);
            } catch (IOException e) {
                return new Decoded(row, "table '" + table + "': key " + key + " does not hold a JSON document: "
                        + e.getMessage(), e);
            }
            for (int i = 0; i < row.length; i++) {
                try {
                    row[i] = Codec.fromJson(doc.get(cols.get(i).name()), cols.get(i));
                } catch (RuntimeException e) {
                    if (problem == null) {
                        problem = "table '" + table + "': key " + key + ", column '" + cols.get(i).name() + "': "
                                + doc.get(cols.get(i).name()) + " is not a " + cols.get(i).type() + " (" + e.getMessage() + ")";
                        cause = e;
                    }
                }
            }
        }
        return new Decoded(row, problem, cause);
    }

    /**
     * The change sequence from which the table's change index is complete (0 = from the start); refuses a table whose
     * sink does not keep one ({@code change.index: false}), naming the setting.
     */
    private long indexedFrom(Jedis j, String table, String tp) {
        String json = j.get(tp + "~schema");
        JsonNode meta;
        try {
            meta = json == null ? null : Codec.JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SyncException(ErrorType.EXTERNAL, "table '" + table + "': the schema at " + tp + "~schema cannot be read", e);
        }
        if (meta == null || !meta.path(RedisSink.CHANGE_INDEX_FIELD).asBoolean(true)) {
            throw new SyncException(ErrorType.CONFIG, "table '" + table + "' in Redis (" + conn.where() + ") has no change "
                    + "index: the redis sink writing it runs with " + RedisSinkFactory.CHANGE_INDEX + ": false; set "
                    + RedisSinkFactory.CHANGE_INDEX + ": true on that sink to read the table incrementally (only snapshots "
                    + "can read it now)");
        }
        return meta.path(RedisSink.INDEXED_FROM_FIELD).asLong(0);
    }

    @Override
    public Position changesStart(TableSpec spec, TableSchema schema) {
        try (Jedis j = conn.get()) {
            indexedFrom(j, spec.table(), conn.layout.tablePrefix(spec.table()));
            String s = j.get(conn.layout.tablePrefix(spec.table()) + "~seq");
            return Position.of(s == null ? 0L : Long.parseLong(s));
        } catch (JedisException e) {
            throw Errors.translate("read the change sequence of table '" + spec.table() + "'", e);
        }
    }

    @Override
    public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        long from = after == null ? 0 : ((Number) after.get(0)).longValue();
        String tp = conn.layout.tablePrefix(spec.table());
        List<Tuple> entries;
        try (Jedis j = conn.get()) {
            long indexedFrom = indexedFrom(j, spec.table(), tp);
            if (from < indexedFrom) {
                throw new SyncException(ErrorType.DATA, "table '" + spec.table() + "': the change index was off between "
                        + "change " + from + " (this position) and change " + indexedFrom + " (" + RedisSinkFactory.CHANGE_INDEX
                        + " of the redis sink writing it), so changes of that time cannot be read incrementally; snapshot "
                        + "the table again");
            }
            entries = j.zrangeByScoreWithScores(tp + "~chg", "(" + from, "+inf", 0, maxRows);
        } catch (JedisException e) {
            throw Errors.translate("read the change index of table '" + spec.table() + "'", e);
        }
        List<String> texts = new ArrayList<>(entries.size());
        entries.forEach(t -> texts.add(t.getElement()));
        List<Object> rows = entries.isEmpty() ? List.of() : fetch(spec.table(), schema, tp, texts, false);
        List<ChangeEvent> events = new ArrayList<>(entries.size());
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        Position next = after;
        for (int r = 0; r < entries.size(); r++) {
            long seq = (long) entries.get(r).getScore();
            Object[] key;
            try {
                key = parseKey(schema, texts.get(r));
            } catch (RuntimeException e) {
                throw new SyncException(ErrorType.DATA, "table '" + spec.table() + "': change index entry '" + texts.get(r)
                        + "' is not a key of " + schema.primaryKey() + ": " + e.getMessage(), e);
            }
            Position pos = Position.of(seq);
            next = pos;
            Decoded row = (Decoded) rows.get(2 * r);
            if (row == null) {
                events.add(ChangeEvent.delete(spec.table(), key, null, seq, pos));
            } else if (row.problem() == null) {
                events.add(event(spec, schema, key, row.row(), seq, pos, false));
            } else {
                failed.add(new WriteResult.FailedEvent(event(spec, schema, key, row.row(), seq, pos, false), row.problem(),
                        row.cause()));
            }
        }
        return new Chunk(events, next, entries.size() < maxRows, failed);
    }

    @Override
    public void close() {
        snapshots.clear();
        conn.close();
    }
}
