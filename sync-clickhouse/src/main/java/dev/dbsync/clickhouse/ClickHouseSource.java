package dev.dbsync.clickhouse;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads ClickHouse tables, for pipelines that start in ClickHouse.
 *
 * <p>Snapshots are keyset reads on the key, {@code WHERE (k1, k2) > (…) ORDER BY k1, k2 LIMIT n}, with
 * {@code FINAL} on ReplacingMergeTree-family tables so each key comes once in its latest version (rows deleted
 * through {@code _is_deleted} are left out). Incremental reads are keyset reads on (cursor, key) with
 * ClickHouse's tuple comparison; the cursor is the {@code coalesce} of the configured columns. Tables written
 * by the ClickHouse sink (they have {@code _version} and {@code _is_deleted}) are read incrementally without
 * FINAL, so a deleting row is seen and becomes a DELETE event; older versions read in the same pass are
 * followed by the newer ones in cursor order. Events carry the version the sink stored in {@code _version}
 * (decoded back to the signed event version) on such tables,
 * otherwise the cursor in microseconds (or its number). ClickHouse has no transactions, but rows of
 * asynchronous inserts (and of writers whose clocks lag) become visible after rows with later cursor values:
 * incremental reads of a date/time cursor stop {@code incremental.lag} behind the server's clock, the safe
 * bound. A numeric cursor has no such bound; its writers must insert synchronously in cursor order.
 *
 * <p>The key is the spec's override, else the key the sink recorded in the table comment, else the table's
 * sorting key. Thread-safe: the client is.
 */
final class ClickHouseSource implements Source {

    private final ChConnection conn;
    private final ClickHouseSettings settings;
    private final Map<String, Plan> plans = new ConcurrentHashMap<>();

    ClickHouseSource(ClickHouseSettings settings) {
        this.settings = settings;
        this.conn = new ChConnection(settings);
    }

    /** What describe learned about a table, reused by the reads. */
    private static final class Plan {
        String from;
        boolean ours;
        boolean finalable;
        /** Undoes the sink's mapping of versions onto {@code _version} ({@link TableLayout#versionOffset}). */
        long versionOffset;
        TableSchema schema;
        List<ChType> types = new ArrayList<>();
        RowBinary.Reader[] readers;
    }

    @Override
    public List<String> listTables() {
        String sql = "SELECT name FROM system.tables WHERE database = " + Sql.literal(settings.database)
                + " AND engine LIKE '%MergeTree%' ORDER BY name";
        return conn.query(sql, Map.of(), "database '" + settings.database + "'", in -> {
            ClickHouseSink.skipHeader(in);
            List<String> out = new ArrayList<>();
            while (in.hasMore()) {
                out.add(in.string());
            }
            return out;
        });
    }

    private String[] dbAndTable(String name) {
        if (exists(settings.database, name)) {
            return new String[] {settings.database, name};
        }
        int dot = name.indexOf('.');
        if (dot > 0 && exists(name.substring(0, dot), name.substring(dot + 1))) {
            return new String[] {name.substring(0, dot), name.substring(dot + 1)};
        }
        throw new SyncException(ErrorType.CONFIG, "table '" + name + "' does not exist in ClickHouse database '" + settings.database + "'");
    }

    private boolean exists(String db, String table) {
        String sql = "SELECT count() FROM system.tables WHERE database = " + Sql.literal(db) + " AND name = " + Sql.literal(table);
        return conn.query(sql, Map.of(), "table '" + table + "'", in -> {
            ClickHouseSink.skipHeader(in);
            return in.le(8);
        }) > 0;
    }

    @Override
    public TableSchema describe(TableSpec spec) {
        String name = spec.table();
        String[] dt = dbAndTable(name);
        String what = "table '" + name + "'";
        String tsql = "SELECT engine, sorting_key, comment FROM system.tables WHERE database = " + Sql.literal(dt[0])
                + " AND name = " + Sql.literal(dt[1]);
        String[] info = conn.query(tsql, Map.of(), what, in -> {
            ClickHouseSink.skipHeader(in);
            return new String[] {in.string(), in.string(), in.string()};
        });
        Map<String, ChType> types;
        Map<String, String> rawTypes = new LinkedHashMap<>();
        String csql = "SELECT name, type FROM system.columns WHERE database = " + Sql.literal(dt[0]) + " AND table = "
                + Sql.literal(dt[1]) + " ORDER BY position";
        conn.query(csql, Map.of(), what, in -> {
            ClickHouseSink.skipHeader(in);
            while (in.hasMore()) {
                rawTypes.put(in.string(), in.string());
            }
            return null;
        });
        Plan plan = new Plan();
        plan.ours = rawTypes.containsKey(TableLayout.VERSION) && rawTypes.containsKey(TableLayout.IS_DELETED);
        if (plan.ours) {
            try {
                plan.versionOffset = TableLayout.versionOffset(ChType.parse(rawTypes.get(TableLayout.VERSION)));
            } catch (IllegalArgumentException e) {
                plan.versionOffset = 0;
            }
        }
        String engine = info[0];
        plan.finalable = engine.contains("Replacing") || engine.contains("Collapsing") || engine.contains("Summing")
                || engine.contains("Aggregating");
        plan.from = Sql.table(dt[0], dt[1]);
        List<Column> cols = new ArrayList<>();
        for (Map.Entry<String, String> e : rawTypes.entrySet()) {
            if (plan.ours && (e.getKey().equals(TableLayout.VERSION) || e.getKey().equals(TableLayout.IS_DELETED))) {
                continue;
            }
            try {
                ChType t = ChType.parse(e.getValue());
                cols.add(t.toColumn(e.getKey()));
                plan.types.add(t);
            } catch (IllegalArgumentException ex) {
                throw new SyncException(ErrorType.CONFIG, what + ", column '" + e.getKey() + "': type " + e.getValue()
                        + " cannot be read (supported: numbers, Decimal, Bool, String, FixedString, UUID, Date, Date32, "
                        + "DateTime, DateTime64, JSON, Array of these, Nullable and LowCardinality of these)");
            }
        }
        List<String> key = spec.keyColumns();
        if (key.isEmpty() && info[2].startsWith("dbsync key: ")) {
            key = Arrays.asList(info[2].substring("dbsync key: ".length()).split(","));
        }
        if (key.isEmpty() && !info[1].isBlank()) {
            List<String> sk = new ArrayList<>();
            for (String part : info[1].split(",")) {
                String p = part.trim();
                if (p.startsWith("`") && p.endsWith("`")) {
                    p = p.substring(1, p.length() - 1).replace("\\`", "`").replace("\\\\", "\\");
                }
                sk.add(p);
            }
            key = sk;
        }
        if (key.isEmpty()) {
            throw new SyncException(ErrorType.CONFIG, what + " has no sorting key; configure key columns for it");
        }
        for (String k : key) {
            if (!rawTypes.containsKey(k)) {
                throw new SyncException(ErrorType.CONFIG, what + ": key column '" + k + "' does not exist");
            }
        }
        for (String c : spec.cursorColumns()) {
            if (!rawTypes.containsKey(c)) {
                throw new SyncException(ErrorType.CONFIG, what + ": cursor column '" + c + "' does not exist");
            }
        }
        if (spec.softDeleteColumn() != null && !rawTypes.containsKey(spec.softDeleteColumn())) {
            throw new SyncException(ErrorType.CONFIG, what + ": soft-delete column '" + spec.softDeleteColumn() + "' does not exist");
        }
        TableSchema schema = new TableSchema(name, cols, key);
        plan.schema = schema;
        plan.readers = new RowBinary.Reader[cols.size()];
        for (int i = 0; i < cols.size(); i++) {
            plan.readers[i] = RowBinary.reader(plan.types.get(i), cols.get(i).type());
        }
        plans.put(name, plan);
        return schema;
    }

    private Plan plan(TableSpec spec) {
        Plan p = plans.get(spec.table());
        if (p == null) {
            describe(spec);
            p = plans.get(spec.table());
        }
        return p;
    }

    @Override
    public OptionalLong estimateRows(TableSpec spec) {
        Plan p = plan(spec);
        long n = conn.query("SELECT count() FROM " + p.from, Map.of(), "table '" + spec.table() + "'", in -> {
            ClickHouseSink.skipHeader(in);
            return in.le(8);
        });
        return OptionalLong.of(n);
    }

    private String selectList(Plan p) {
        String cols = Sql.ids(p.schema.columnNames());
        return p.ours ? cols + ", " + Sql.id(TableLayout.VERSION) + ", " + Sql.id(TableLayout.IS_DELETED) : cols;
    }

    private String keyTuple(Plan p) {
        return "(" + Sql.ids(p.schema.primaryKey()) + ")";
    }

    private String cursorExpr(TableSpec spec) {
        List<String> c = spec.cursorColumns();
        return c.size() == 1 ? Sql.id(c.get(0)) : "coalesce(" + Sql.ids(c) + ")";
    }

    private ChType cursorType(TableSpec spec, Plan p) {
        return p.types.get(p.schema.indexOf(spec.cursorColumns().get(0)));
    }

    @Override
    public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        Plan p = plan(spec);
        StringBuilder sql = new StringBuilder("SELECT ").append(selectList(p)).append(" FROM ").append(p.from);
        if (p.finalable && settings.useFinal) {
            sql.append(" FINAL");
        }
        if (after != null) {
            sql.append(" WHERE ").append(keyTuple(p)).append(" > (").append(keyValues(p, after.values(), 0)).append(')');
        }
        sql.append(" ORDER BY ").append(Sql.ids(p.schema.primaryKey())).append(" LIMIT ").append(maxRows);
        List<ChangeEvent> events = read(spec, p, sql.toString(), false);
        Position next = events.isEmpty() ? after : events.get(events.size() - 1).position();
        return new Chunk(events, next, events.size() < maxRows);
    }

    private String keyValues(Plan p, List<Object> values, int offset) {
        int[] k = p.schema.keyIndexes();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < k.length; i++) {
            b.append(i == 0 ? "" : ", ").append(Sql.value(p.types.get(k[i]), values.get(offset + i)));
        }
        return b.toString();
    }

    @Override
    public Position changesStart(TableSpec spec, TableSchema schema) {
        if (!spec.hasCursor()) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "' has no cursor configured");
        }
        Plan p = plan(spec);
        ChType ct = cursorType(spec, p);
        Object max = conn.query("SELECT max(" + cursorExpr(spec) + ") FROM " + p.from + " WHERE " + cursorExpr(spec)
                + " IS NOT NULL HAVING count() > 0", Map.of(), "table '" + spec.table() + "'", in -> {
                    if (!in.hasMore()) {
                        return null;
                    }
                    // the result's own type (max() of a Nullable column is Nullable, of a plain one it is not)
                    in.varint();
                    in.string();
                    ChType type = ChType.parse(in.string());
                    if (!in.hasMore()) {
                        return null;
                    }
                    return RowBinary.reader(type, ct.logical()).read(in);
                });
        // (max) without a key: rows sharing the current maximum are read again, which is harmless
        return max == null ? null : Position.of(max);
    }

    @Override
    public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        if (!spec.hasCursor()) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "' has no cursor configured");
        }
        Plan p = plan(spec);
        String cursor = cursorExpr(spec);
        ChType ct = cursorType(spec, p);
        StringBuilder sql = new StringBuilder("SELECT ").append(selectList(p)).append(" FROM ").append(p.from);
        if (p.finalable && settings.useFinal && !p.ours) {
            sql.append(" FINAL");
        }
        sql.append(" WHERE ").append(cursor).append(" IS NOT NULL");
        if (isTime(ct)) {
            sql.append(" AND ").append(cursor).append(" < now64(6) - toIntervalMillisecond(")
                    .append(settings.incrementalLag.toMillis()).append(')');
        }
        if (after != null && after.size() == 1) {
            sql.append(" AND ").append(cursor).append(" >= ").append(Sql.value(ct, after.get(0)));
        } else if (after != null) {
            sql.append(" AND (").append(cursor).append(", ").append(Sql.ids(p.schema.primaryKey())).append(") > (")
                    .append(Sql.value(ct, after.get(0))).append(", ").append(keyValues(p, after.values(), 1)).append(')');
        }
        sql.append(" ORDER BY ").append(cursor).append(", ").append(Sql.ids(p.schema.primaryKey()));
        if (p.ours) {
            sql.append(", ").append(Sql.id(TableLayout.VERSION));
        }
        sql.append(" LIMIT ").append(maxRows);
        List<ChangeEvent> events = read(spec, p, sql.toString(), true);
        Position next = events.isEmpty() ? after : events.get(events.size() - 1).position();
        return new Chunk(events, next, events.size() < maxRows);
    }

    private List<ChangeEvent> read(TableSpec spec, Plan p, String sql, boolean changes) {
        int n = p.readers.length;
        int[] k = p.schema.keyIndexes();
        int soft = spec.softDeleteColumn() == null ? -1 : p.schema.indexOf(spec.softDeleteColumn());
        int[] cursorIdx = spec.cursorColumns().stream().mapToInt(p.schema::indexOf).toArray();
        return conn.query(sql, Map.of(), "table '" + spec.table() + "'", in -> {
            ClickHouseSink.skipHeader(in);
            List<ChangeEvent> out = new ArrayList<>();
            while (in.hasMore()) {
                Object[] row = new Object[n];
                for (int i = 0; i < n; i++) {
                    row[i] = p.readers[i].read(in);
                }
                long version = 0;
                boolean deleted = false;
                if (p.ours) {
                    version = in.le(8) ^ p.versionOffset;
                    deleted = in.u8() != 0;
                }
                Object cursor = null;
                for (int c : cursorIdx) {
                    if (row[c] != null) {
                        cursor = row[c];
                        break;
                    }
                }
                if (!p.ours && cursor != null) {
                    version = versionOf(cursor);
                }
                if (soft >= 0 && row[soft] != null && String.valueOf(row[soft]).equalsIgnoreCase(spec.softDeleteValue())) {
                    deleted = true;
                }
                Object[] key = new Object[k.length];
                for (int i = 0; i < k.length; i++) {
                    key[i] = row[k[i]];
                }
                Position pos;
                if (changes) {
                    Object[] pv = new Object[k.length + 1];
                    pv[0] = cursor;
                    System.arraycopy(key, 0, pv, 1, k.length);
                    pos = Position.of(pv);
                } else {
                    pos = Position.of(key.clone());
                }
                out.add(deleted ? ChangeEvent.delete(spec.table(), key, row, version, pos)
                        : ChangeEvent.upsert(spec.table(), key, row, version, pos));
            }
            return out;
        });
    }

    private static boolean isTime(ChType t) {
        ChType.Kind k = t.kind;
        return k == ChType.Kind.DATE || k == ChType.Kind.DATE32 || k == ChType.Kind.DATETIME || k == ChType.Kind.DATETIME64;
    }

    /** The cursor as a version: microseconds for time values, the number itself for numbers. */
    static long versionOf(Object cursor) {
        if (cursor instanceof Instant) {
            return RowBinary.ticks(cursor, 6);
        }
        if (cursor instanceof LocalDateTime || cursor instanceof OffsetDateTime) {
            return RowBinary.ticks(cursor, 6);
        }
        if (cursor instanceof LocalDate) {
            return ((LocalDate) cursor).atStartOfDay().toEpochSecond(ZoneOffset.UTC) * 1_000_000L;
        }
        if (cursor instanceof Number) {
            return ((Number) cursor).longValue();
        }
        return 0;
    }

    @Override
    public void close() {
        conn.close();
    }
}
