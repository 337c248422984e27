package dev.dbsync.clickhouse;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes changes into ClickHouse tables of the {@code ReplacingMergeTree(_version, _is_deleted)} engine.
 *
 * <h2>How changes land</h2>
 * Every change is appended as a row: an upsert with {@code _is_deleted = 0}, a delete with
 * {@code _is_deleted = 1} carrying the key and the last known values (or, for key-only deletes, the values
 * the table still holds for the sorting and partition columns, defaults for the rest). {@code _version} is
 * the event's {@link ChangeEvent#version()} (cursor value in microseconds, or LSN) with its sign bit flipped
 * ({@code version ^ Long.MIN_VALUE}), which maps signed order onto the unsigned order of the {@code UInt64}
 * column: a cursor before 1970 or a negative number stays below every later one. So replaying an older
 * change never wins over a newer one. Queries see the current state with {@code FINAL} (or through the view
 * {@code <table>_live} created with {@code create.view=true}); background merges and the optional cleanup
 * {@code OPTIMIZE TABLE t FINAL CLEANUP} drop superseded and deleted rows for good; the cleanup needs the table
 * setting {@code ALTER TABLE t MODIFY SETTING allow_experimental_replacing_merge_with_cleanup = 1} once. Run it
 * only when no pipeline replays older changes of the table: once a deleting row is gone, a replayed older upsert of
 * that key would be visible again.
 *
 * <p>Version 0 (a source without versions, e.g. a full copy without cursor) is written as 0: among equal
 * versions ReplacingMergeTree keeps the row inserted last, so a later write still wins, and any real
 * non-negative version (a later incremental or CDC change) wins over such rows. Within one batch only the last change
 * of each key is written ({@link Batch#latestPerKey()}).
 *
 * <h2>Batches</h2>
 * Each {@link #open} gives a writer with its own buffer. {@code write} serialises rows into RowBinary in
 * memory; a value ClickHouse would reject or store wrongly is returned as a failed event naming the column (a
 * value outside the range of the column's type, e.g. a date outside Date32's 1900–2299, or of a narrower
 * column of an existing table, e.g. Int8, UInt32 or Date; a JSON array or scalar for a column of the JSON
 * type; {@link #refuses} declares the same for the types this sink creates). An INSERT is sent when
 * {@code batch.rows} rows are buffered and on the writer's {@code flush}, which the engine calls before saving
 * a checkpoint, so a checkpoint never covers rows that are not in ClickHouse; closing the writer sends what is
 * left. When ClickHouse rejects an INSERT as bad data ({@link DataException}, from {@code flush} or from a
 * {@code write} that sent one), the writer's buffer has been discarded: everything written since its last
 * successful flush is gone, and the engine rewrites those events in smaller batches to isolate the bad ones.
 *
 * <h2>Types</h2>
 * STRING → String (LowCardinality(String) for {@code low.cardinality} columns), INT32 → Int32, INT64 → Int64,
 * DECIMAL(p,s) → Decimal(p,s) (unbounded → Decimal(38,18)), FLOAT64 → Float64, BOOLEAN → Bool, BYTES → String,
 * UUID → UUID, DATE → Date32, TIMESTAMP and TIMESTAMP_TZ → DateTime64(p,'UTC') (p = the column's fractional
 * digits, 6 when unknown; a TIMESTAMP is stored as its UTC wall time), JSON → String with the JSON text
 * (a Java String is a JSON string and is stored quoted), or the JSON type with {@code json.type=JSON}, which
 * holds objects only and cannot be Nullable (a NULL is stored as {@code {}}), ARRAY(T) → Array(Nullable(T)); nullable columns are
 * Nullable(T), except arrays: ClickHouse has no Nullable(Array), so a NULL array is stored empty.
 * A table that already exists is written with its own column types.
 *
 * <p>Threading: writers of different tables are used from different threads at once; each writer's buffer
 * is its own, so tables never flush or fail each other's rows.
 */
final class ClickHouseSink implements Sink {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSink.class);

    private final ChConnection conn;
    private final ClickHouseSettings settings;
    private volatile ClickHouseCheckpointStore store;

    ClickHouseSink(ClickHouseSettings settings) {
        this.settings = settings;
        this.conn = new ChConnection(settings);
    }

    /** The writer of one target table: its layout, the encoders of its actual columns and its pending rows. */
    private final class Writer implements TableWriter {
        final TableLayout layout;
        final RowBinary.Writer[] writers;
        final ChType[] types;
        final List<String> insertColumns;
        /** XORed into each event's version before it is written ({@link TableLayout#versionOffset}). */
        final long versionOffset;
        final RowBinary.Buffer buffer = new RowBinary.Buffer();
        int rows;
        boolean closed;

        Writer(TableLayout layout, ChType[] types, RowBinary.Writer[] writers) {
            this.layout = layout;
            this.types = types;
            this.writers = writers;
            this.insertColumns = layout.insertColumns();
            this.versionOffset = TableLayout.versionOffset(types[types.length - 2]);
        }

        void discard() {
            buffer.clear();
            rows = 0;
        }

        @Override
        public synchronized WriteResult write(Batch batch) {
            return ClickHouseSink.this.write(this, batch);
        }

        @Override
        public synchronized void flush() {
            insert(this);
        }

        @Override
        public synchronized void truncate() {
            discard();
            conn.execute(layout.truncate(), "table '" + layout.schema.name() + "'");
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                insert(this);
            }
        }
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE,
                SinkCapability.VERSIONED, SinkCapability.CHECKPOINT_STORE);
    }

    /**
     * The values the ClickHouse types this sink creates cannot hold (dates and times outside 1900–2299); a
     * writer fails such rows alone, naming the column.
     */
    @Override
    public String refuses(Column column, Object value) {
        if (value == null || column.type() == LogicalType.ARRAY) {
            return null;
        }
        try {
            ChType t = ChType.forColumn(column, false, settings.jsonType);
            RowBinary.writer(t, column.type(), column.elementType()).write(new RowBinary.Buffer(), value);
            return null;
        } catch (RuntimeException e) {
            return String.valueOf(e.getMessage());
        }
    }

    /** ClickHouse has no Nullable(Array): a NULL array is stored, and read back, empty. */
    @Override
    public Object storedForm(Column column, Object value) {
        return column.type() == LogicalType.ARRAY && value == null ? List.of() : value;
    }

    @Override
    public TableWriter open(TableSchema schema) {
        String name = schema.name();
        TableLayout layout = new TableLayout(schema, settings);
        String what = "table '" + name + "'";
        conn.execute(layout.createTable(), what);
        if (settings.createView) {
            conn.execute(layout.createView(), "view '" + layout.liveViewName() + "'");
        }
        Map<String, ChType> actual = columnTypes(conn, settings.database, name);
        List<Column> cols = schema.columns();
        ChType[] types = new ChType[cols.size() + 2];
        RowBinary.Writer[] writers = new RowBinary.Writer[cols.size() + 2];
        for (int i = 0; i < cols.size(); i++) {
            Column c = cols.get(i);
            ChType t = actual.get(c.name());
            if (t == null) {
                throw new SyncException(ErrorType.CONFIG, "table '" + name + "' in ClickHouse has no column '" + c.name()
                        + "'; add it (ALTER TABLE … ADD COLUMN) or drop the table so the sink creates it");
            }
            try {
                types[i] = t;
                writers[i] = RowBinary.writer(t, c.type(), c.elementType());
            } catch (IllegalArgumentException e) {
                throw new SyncException(ErrorType.CONFIG, "table '" + name + "', column '" + c.name() + "': " + e.getMessage());
            }
        }
        for (String internal : List.of(TableLayout.VERSION, TableLayout.IS_DELETED)) {
            if (!actual.containsKey(internal)) {
                throw new SyncException(ErrorType.CONFIG, "table '" + name + "' in ClickHouse has no column '" + internal
                        + "'; it was not created by this sink (expected ReplacingMergeTree(_version, _is_deleted))");
            }
        }
        types[cols.size()] = actual.get(TableLayout.VERSION);
        types[cols.size() + 1] = actual.get(TableLayout.IS_DELETED);
        writers[cols.size()] = RowBinary.writer(types[cols.size()], LogicalType.INT64, null);
        writers[cols.size() + 1] = RowBinary.writer(types[cols.size() + 1], LogicalType.INT32, null);
        return new Writer(layout, types, writers);
    }

    /** The columns of a ClickHouse table and their types, in order. */
    static Map<String, ChType> columnTypes(ChConnection conn, String database, String table) {
        String sql = "SELECT name, type FROM system.columns WHERE database = " + Sql.literal(database)
                + " AND table = " + Sql.literal(table) + " ORDER BY position";
        Map<String, String> raw = conn.query(sql, Map.of(), "table '" + table + "'", in -> {
            Map<String, String> m = new LinkedHashMap<>();
            skipHeader(in);
            while (in.hasMore()) {
                m.put(in.string(), in.string());
            }
            return m;
        });
        Map<String, ChType> out = new LinkedHashMap<>();
        raw.forEach((n, t) -> {
            try {
                out.put(n, ChType.parse(t));
            } catch (IllegalArgumentException e) {
                out.put(n, null);
            }
        });
        return out;
    }

    /** Skips the names-and-types header of a RowBinaryWithNamesAndTypes body, returning the column count. */
    static int skipHeader(RowBinary.Input in) throws java.io.IOException {
        if (!in.hasMore()) {
            return 0;
        }
        int n = (int) in.varint();
        for (int i = 0; i < 2 * n; i++) {
            in.string();
        }
        return n;
    }

    private WriteResult write(Writer t, Batch batch) {
        List<ChangeEvent> events = batch.latestPerKey();
        int upserted = 0;
        int deleted = 0;
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        {
            String name = batch.schema().name();
            List<ChangeEvent> keyOnlyDeletes = new ArrayList<>();
            for (ChangeEvent e : events) {
                boolean delete = e.operation() == Operation.DELETE;
                if (delete && e.values().isEmpty()) {
                    if (t.layout.needsRowForDelete) {
                        keyOnlyDeletes.add(e);
                        continue;
                    }
                }
                String problem = append(t, e, delete ? rowForDelete(t, e) : e.values(), delete);
                if (problem != null) {
                    failed.add(new WriteResult.FailedEvent(e, "table '" + name + "', key " + e.keyText() + ": " + problem, null));
                } else if (delete) {
                    deleted++;
                } else {
                    upserted++;
                }
            }
            if (!keyOnlyDeletes.isEmpty()) {
                // the sorting key or partition uses non-key columns: the deleting row must carry their stored values,
                // so rows still buffered go first to be found
                insert(t);
                Map<List<Object>, List<Object>> stored = storedRows(t, keyOnlyDeletes);
                for (ChangeEvent e : keyOnlyDeletes) {
                    List<Object> row = stored.get(normalizedKey(t, e.key()));
                    if (row == null) {
                        deleted++; // nothing stored under this key: nothing to delete
                        continue;
                    }
                    String problem = append(t, e, row, true);
                    if (problem != null) {
                        failed.add(new WriteResult.FailedEvent(e, "table '" + name + "', key " + e.keyText() + ": " + problem, null));
                    } else {
                        deleted++;
                    }
                }
            }
            if (t.rows >= settings.batchRows) {
                insert(t);
            }
        }
        return WriteResult.of(upserted, deleted, 0, failed);
    }

    /** Serialises one row; on a bad value takes the partial row back and returns what was wrong. */
    private static String append(Writer t, ChangeEvent e, List<Object> values, boolean delete) {
        RowBinary.Buffer b = t.buffer;
        long mark = b.mark();
        int n = t.layout.schema.columns().size();
        if (values.size() != n) {
            return "has " + values.size() + " values for " + n + " columns";
        }
        int i = 0;
        try {
            for (; i < n; i++) {
                t.writers[i].write(b, values.get(i));
            }
            b.i64(e.version() ^ t.versionOffset);
            b.u8(delete ? 1 : 0);
        } catch (RuntimeException ex) {
            b.reset(mark);
            String col = t.layout.schema.columns().get(i).name();
            return "column '" + col + "' (" + t.types[i] + "): " + ex.getMessage();
        }
        t.rows++;
        return null;
    }

    /** The values a deleting row carries: the last known row, or the key with defaults elsewhere. */
    private static List<Object> rowForDelete(Writer t, ChangeEvent e) {
        if (!e.values().isEmpty()) {
            return e.values();
        }
        List<Column> cols = t.layout.schema.columns();
        Object[] row = new Object[cols.size()];
        for (int i = 0; i < row.length; i++) {
            row[i] = t.types[i].nullable ? null : zero(cols.get(i), t.types[i]);
        }
        int[] k = t.layout.schema.keyIndexes();
        for (int i = 0; i < k.length; i++) {
            row[k[i]] = e.key().get(i);
        }
        return Arrays.asList(row);
    }

    private static Object zero(Column c, ChType t) {
        switch (c.type()) {
            case STRING: return "";
            case INT32: return 0;
            case INT64: return 0L;
            case DECIMAL: return BigDecimal.ZERO;
            case FLOAT64: return 0.0;
            case BOOLEAN: return false;
            case BYTES: return new byte[0];
            case UUID: return new UUID(0, 0);
            case DATE: return LocalDate.ofEpochDay(0);
            case TIMESTAMP: return LocalDateTime.of(1970, 1, 1, 0, 0);
            case TIMESTAMP_TZ: return Instant.EPOCH;
            case JSON: return Map.of();
            case ARRAY: return List.of();
            default: return null;
        }
    }

    /** Keys compare after a round trip through ClickHouse: numbers as their decimal text. */
    private static List<Object> normalizedKey(Writer t, List<Object> key) {
        List<Object> out = new ArrayList<>(key.size());
        for (Object v : key) {
            out.add(v instanceof Number ? new BigDecimal(v.toString()).stripTrailingZeros().toPlainString()
                    : v instanceof byte[] ? Arrays.toString((byte[]) v) : v);
        }
        return out;
    }

    /** The stored live rows of the given keys, read with FINAL. */
    private Map<List<Object>, List<Object>> storedRows(Writer t, List<ChangeEvent> deletes) {
        TableSchema s = t.layout.schema;
        int[] k = s.keyIndexes();
        StringBuilder in = new StringBuilder();
        for (ChangeEvent e : deletes) {
            in.append(in.length() == 0 ? "" : ", ").append('(');
            for (int i = 0; i < k.length; i++) {
                in.append(i == 0 ? "" : ", ").append(Sql.value(t.types[k[i]], e.key().get(i)));
            }
            in.append(')');
        }
        String keyTuple = "(" + Sql.ids(s.primaryKey()) + ")";
        String sql = "SELECT " + Sql.ids(s.columnNames()) + " FROM " + t.layout.qualifiedName() + " FINAL WHERE "
                + keyTuple + " IN (" + in + ") AND " + Sql.id(TableLayout.IS_DELETED) + " = 0";
        RowBinary.Reader[] readers = new RowBinary.Reader[s.columns().size()];
        for (int i = 0; i < readers.length; i++) {
            readers[i] = RowBinary.reader(t.types[i], s.columns().get(i).type());
        }
        return conn.query(sql, Map.of(), "table '" + s.name() + "'", body -> {
            Map<List<Object>, List<Object>> out = new HashMap<>();
            skipHeader(body);
            while (body.hasMore()) {
                Object[] row = new Object[readers.length];
                for (int i = 0; i < row.length; i++) {
                    row[i] = readers[i].read(body);
                }
                List<Object> key = new ArrayList<>();
                for (int i : k) {
                    key.add(row[i]);
                }
                out.put(normalizedKey(t, key), Arrays.asList(row));
            }
            return out;
        });
    }

    /**
     * Sends the buffered rows of one table as one INSERT. Caller holds the target's lock. When ClickHouse
     * rejects the data ({@link DataException}) the buffer is discarded before the exception propagates: the
     * engine rewrites the events since the last successful flush in smaller batches to isolate the bad rows,
     * and must not meet them again in the buffer. Other failures keep the buffer for the retry.
     */
    private void insert(Writer t) {
        if (t.rows == 0) {
            return;
        }
        String name = t.layout.schema.name();
        long started = System.nanoTime();
        int rows = t.rows;
        try {
            send(t, name);
        } catch (DataException e) {
            t.discard();
            throw new DataException(e.getMessage() + " (the " + rows + " rows buffered since the last flush are discarded)", e);
        }
        t.discard();
        if (LOG.isDebugEnabled()) {
            LOG.debug("table '{}': inserted {} rows in {} ms", name, rows, (System.nanoTime() - started) / 1_000_000);
        }
    }

    private void send(Writer t, String name) {
        conn.insert(t.layout.qualifiedName(), t.insertColumns, new com.clickhouse.client.api.DataStreamWriter() {
            @Override
            public void onOutput(java.io.OutputStream out) throws java.io.IOException {
                t.buffer.writeTo(out);
                out.close();
            }

            @Override
            public void onRetry() {
                // the buffer is written again as it is
            }
        }, "table '" + name + "'");
    }

    @Override
    public Optional<CheckpointStore> checkpointStore() {
        ClickHouseCheckpointStore s = store;
        if (s == null) {
            synchronized (this) {
                if (store == null) {
                    store = new ClickHouseCheckpointStore(conn, settings.checkpointTable, false);
                }
                s = store;
            }
        }
        return Optional.of(s);
    }

    @Override
    public void close() {
        ClickHouseCheckpointStore s = store;
        if (s != null) {
            s.close();
        }
        conn.close();
    }
}
