package dev.dbsync.testkit.memory;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A source whose tables live in memory: the reference implementation of the {@link Source} and
 * {@link StreamingSource} contracts, used to test the engine and the contract suites themselves. Rows are
 * changed through {@link #upsert} and {@link #delete}; every change is also appended to a change log that the
 * change feed replays. Thread-safe.
 */
public class MemorySource implements Source, StreamingSource {

    private final Map<String, TableSchema> schemas = new LinkedHashMap<>();
    private final Map<String, TreeMap<List<Object>, Object[]>> tables = new LinkedHashMap<>();
    private final List<ChangeEvent> log = new ArrayList<>();
    private final List<Transaction> open = new ArrayList<>();
    private volatile boolean closed;
    /** The highest position acknowledged by any stream: like a replication slot, the log before it is released. */
    private long acknowledged;

    /**
     * A writer whose rows become visible only at {@link #commit()}, as a database transaction's do; its rows'
     * cursor values may be older than rows other writers commit meanwhile. While it is open, incremental reads
     * stop below {@code startCursor} (the source's safe bound), so its rows are not skipped once it commits.
     */
    public final class Transaction {
        private final Object startCursor;
        private final List<Object[]> rows = new ArrayList<>();
        private final List<String> tablesOfRows = new ArrayList<>();
        private boolean done;

        private Transaction(Object startCursor) {
            this.startCursor = startCursor;
        }

        /** Buffers an upsert of a row until commit. */
        public Transaction upsert(String table, Object... values) {
            synchronized (MemorySource.this) {
                rows.add(values.clone());
                tablesOfRows.add(table);
            }
            return this;
        }

        /** Makes the rows visible, in order. */
        public void commit() {
            synchronized (MemorySource.this) {
                if (done) {
                    throw new IllegalStateException("transaction already ended");
                }
                done = true;
                open.remove(this);
                for (int i = 0; i < rows.size(); i++) {
                    MemorySource.this.upsert(tablesOfRows.get(i), rows.get(i));
                }
            }
        }
    }

    /**
     * Begins a transaction whose rows will carry cursor values of at least {@code startCursor} (as a database's
     * {@code now()} at transaction start).
     */
    public synchronized Transaction begin(Object startCursor) {
        Transaction t = new Transaction(startCursor);
        open.add(t);
        return t;
    }

    /**
     * Whether incremental reads stop below the start of the oldest open transaction. Only a deliberately broken
     * source returns false; see the test kit's own tests.
     */
    protected boolean honoursOpenTransactions() {
        return true;
    }

    /** Creates (or replaces) a table. */
    public synchronized void createTable(TableSchema schema) {
        schemas.put(schema.name(), schema);
        tables.put(schema.name(), new TreeMap<>(Keys.TUPLES));
    }

    /** Inserts or replaces a row; values aligned with the table's columns. */
    public synchronized void upsert(String table, Object... values) {
        TableSchema s = schema(table);
        if (values.length != s.columns().size()) {
            throw new IllegalArgumentException("table '" + table + "' has " + s.columns().size() + " columns, got " + values.length);
        }
        Object[] copy = values.clone();
        List<Object> key = key(s, copy);
        Object[] before = tables.get(table).put(key, copy);
        long seq = log.size() + 1L;
        log.add(before == null ? ChangeEvent.insert(table, key.toArray(), copy.clone(), seq, Position.of(seq))
                : ChangeEvent.update(table, key.toArray(), copy.clone(), before.clone(), seq, Position.of(seq)));
    }

    /** Removes a row for good (a hard delete: incremental reads cannot see it, the change feed can). */
    public synchronized void delete(String table, Object... key) {
        tables.get(table).remove(Arrays.asList(key));
        long seq = log.size() + 1L;
        log.add(ChangeEvent.delete(table, key.clone(), null, seq, Position.of(seq)));
    }

    /** Removes every row (the change feed reports a TRUNCATE). */
    public synchronized void truncate(String table) {
        tables.get(table).clear();
        long seq = log.size() + 1L;
        log.add(ChangeEvent.truncate(table, seq, Position.of(seq)));
    }

    /** The rows of a table in key order, as value lists. */
    public synchronized List<List<Object>> rows(String table) {
        List<List<Object>> out = new ArrayList<>();
        for (Object[] r : tables.get(table).values()) {
            out.add(Arrays.asList(r.clone()));
        }
        return out;
    }

    private TableSchema schema(String table) {
        TableSchema s = schemas.get(table);
        if (s == null) {
            throw new SyncException(ErrorType.EXTERNAL, "table '" + table + "' does not exist in the memory source");
        }
        return s;
    }

    private static List<Object> key(TableSchema s, Object[] values) {
        int[] idx = s.keyIndexes();
        Object[] k = new Object[idx.length];
        for (int i = 0; i < idx.length; i++) {
            k[i] = values[idx[i]];
        }
        return Arrays.asList(k);
    }

    @Override
    public synchronized List<String> listTables() {
        return new ArrayList<>(schemas.keySet());
    }

    @Override
    public synchronized TableSchema describe(TableSpec spec) {
        TableSchema s = schema(spec.table());
        if (!spec.keyColumns().isEmpty()) {
            s = new TableSchema(s.name(), s.columns(), spec.keyColumns());
        }
        for (String c : spec.cursorColumns()) {
            if (s.indexOf(c) < 0) {
                throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': cursor column '" + c + "' does not exist");
            }
        }
        if (spec.softDeleteColumn() != null && s.indexOf(spec.softDeleteColumn()) < 0) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': soft-delete column '"
                    + spec.softDeleteColumn() + "' does not exist");
        }
        return s;
    }

    @Override
    public synchronized OptionalLong estimateRows(TableSpec spec) {
        return OptionalLong.of(tables.get(spec.table()).size());
    }

    @Override
    public synchronized Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        checkOpen();
        TreeMap<List<Object>, Object[]> rows = tables.get(spec.table());
        Map<List<Object>, Object[]> tail = after == null ? rows : rows.tailMap(after.values(), false);
        List<ChangeEvent> out = new ArrayList<>();
        for (Map.Entry<List<Object>, Object[]> e : tail.entrySet()) {
            if (out.size() == maxRows) {
                return new Chunk(out, out.get(out.size() - 1).position(), false);
            }
            out.add(event(spec, schema, e.getKey(), e.getValue(), Position.of(e.getKey()), true));
        }
        return new Chunk(out, out.isEmpty() ? after : out.get(out.size() - 1).position(), true);
    }

    private ChangeEvent event(TableSpec spec, TableSchema schema, List<Object> key, Object[] row, Position pos,
                              boolean snapshot) {
        Object cursor = cursorOf(spec, schema, row);
        long version = versionOf(cursor);
        if (isSoftDeleted(spec, schema, row)) {
            return ChangeEvent.delete(spec.table(), key.toArray(), row.clone(), version, pos);
        }
        return snapshot ? ChangeEvent.read(spec.table(), key.toArray(), row.clone(), version, pos)
                : ChangeEvent.upsert(spec.table(), key.toArray(), row.clone(), version, pos);
    }

    /** The cursor as a number that grows with it: numbers as they are, instants in epoch microseconds. */
    private static long versionOf(Object cursor) {
        if (cursor instanceof Number) {
            return ((Number) cursor).longValue();
        }
        if (cursor instanceof java.time.Instant) {
            java.time.Instant i = (java.time.Instant) cursor;
            return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
        }
        if (cursor instanceof java.time.OffsetDateTime) {
            return versionOf(((java.time.OffsetDateTime) cursor).toInstant());
        }
        return 0;
    }

    private static boolean isSoftDeleted(TableSpec spec, TableSchema schema, Object[] row) {
        if (spec.softDeleteColumn() == null) {
            return false;
        }
        Object v = row[schema.indexOf(spec.softDeleteColumn())];
        return v != null && String.valueOf(v).equalsIgnoreCase(spec.softDeleteValue());
    }

    private static Object cursorOf(TableSpec spec, TableSchema schema, Object[] row) {
        for (String c : spec.cursorColumns()) {
            Object v = row[schema.indexOf(c)];
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    @Override
    public synchronized Position changesStart(TableSpec spec, TableSchema schema) {
        Object max = null;
        for (Object[] row : tables.get(spec.table()).values()) {
            Object c = cursorOf(spec, schema, row);
            if (c != null && (max == null || Keys.compareValues(c, max) > 0)) {
                max = c;
            }
        }
        // an open transaction may still add rows from its start on
        if (honoursOpenTransactions()) {
            for (Transaction t : open) {
                if (max == null || Keys.compareValues(t.startCursor, max) < 0) {
                    max = t.startCursor;
                }
            }
        }
        // (max, no key): rows sharing the current maximum are read again; replays are harmless.
        return max == null ? null : Position.of(max);
    }

    /**
     * Whether rows whose cursor equals the last one read are still considered (the key tie-break). Only a
     * deliberately broken source returns false; see the test kit's own tests.
     */
    protected boolean tieBreakByKey() {
        return true;
    }

    @Override
    public synchronized Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        checkOpen();
        List<Map.Entry<List<Object>, Object[]>> sorted = new ArrayList<>();
        for (Map.Entry<List<Object>, Object[]> e : tables.get(spec.table()).entrySet()) {
            if (cursorOf(spec, schema, e.getValue()) != null) {
                sorted.add(e);
            }
        }
        sorted.sort((a, b) -> {
            int c = Keys.compareValues(cursorOf(spec, schema, a.getValue()), cursorOf(spec, schema, b.getValue()));
            return c != 0 ? c : Keys.TUPLES.compare(a.getKey(), b.getKey());
        });
        Object bound = null;
        if (honoursOpenTransactions()) {
            for (Transaction t : open) {
                if (bound == null || Keys.compareValues(t.startCursor, bound) < 0) {
                    bound = t.startCursor;
                }
            }
        }
        List<ChangeEvent> out = new ArrayList<>();
        for (Map.Entry<List<Object>, Object[]> e : sorted) {
            Object cursor = cursorOf(spec, schema, e.getValue());
            if (bound != null && Keys.compareValues(cursor, bound) >= 0) {
                break;
            }
            if (after != null) {
                int c = Keys.compareValues(cursor, after.get(0));
                if (c < 0) {
                    continue;
                }
                if (c == 0) {
                    if (!tieBreakByKey()) {
                        continue;
                    }
                    if (after.size() > 1 && Keys.TUPLES.compare(e.getKey(), after.values().subList(1, after.size())) <= 0) {
                        continue;
                    }
                }
            }
            if (out.size() == maxRows) {
                return new Chunk(out, out.get(out.size() - 1).position(), false);
            }
            List<Object> pos = new ArrayList<>();
            pos.add(cursor);
            pos.addAll(e.getKey());
            out.add(event(spec, schema, e.getKey(), e.getValue(), Position.of(pos), false));
        }
        return new Chunk(out, out.isEmpty() ? after : out.get(out.size() - 1).position(), true);
    }

    @Override
    public synchronized Position streamStart(List<TableSpec> specs) {
        return Position.of((long) log.size());
    }

    /**
     * The feed's positions are sequence numbers. A stream opened before the highest acknowledged position starts at
     * that position instead, as a PostgreSQL replication slot does: what was acknowledged is gone.
     */
    @Override
    public java.util.Optional<java.util.Comparator<Position>> positionOrder() {
        return java.util.Optional.of(java.util.Comparator.comparingLong(p -> (Long) p.get(0)));
    }

    /** The highest position acknowledged so far (0 before any). */
    public synchronized long acknowledged() {
        return acknowledged;
    }

    @Override
    public ChangeStream openStream(List<TableSchema> schemas, List<TableSpec> specs, Position from) {
        Map<String, TableSpec> bySpec = new LinkedHashMap<>();
        specs.forEach(s -> bySpec.put(s.table(), s));
        long start;
        synchronized (this) {
            start = Math.max((Long) from.get(0), acknowledged);
        }
        return new ChangeStream() {
            long next = start;

            @Override
            public List<ChangeEvent> poll(Duration timeout) {
                List<ChangeEvent> out = new ArrayList<>();
                synchronized (MemorySource.this) {
                    checkOpen();
                    while (next < log.size() && out.size() < 10_000) {
                        ChangeEvent e = log.get((int) next++);
                        TableSpec spec = bySpec.get(e.table());
                        if (spec == null) {
                            continue;
                        }
                        if (e.operation() == dev.dbsync.spi.Operation.UPSERT
                                && isSoftDeleted(spec, schema(e.table()), e.values().toArray())) {
                            e = ChangeEvent.delete(e.table(), e.key().toArray(), e.values().toArray(), e.version(), e.position());
                        }
                        out.add(e);
                    }
                }
                if (out.isEmpty()) {
                    try {
                        Thread.sleep(Math.min(timeout.toMillis(), 20));
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                }
                return out;
            }

            @Override
            public void acknowledge(Position flushed) {
                synchronized (MemorySource.this) {
                    acknowledged = Math.max(acknowledged, (Long) flushed.get(0));
                }
            }

            @Override
            public void close() {
            }
        };
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("memory source is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
