package dev.dbsync.testkit.memory;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A sink that keeps its tables in memory: the reference implementation of the {@link Sink} contract, used
 * to test the engine and the contract suites. A writer's writes become visible only at its
 * {@link TableWriter#flush()}, like a buffering sink, so tests notice a checkpoint saved before its flush.
 * Thread-safe.
 */
public class MemorySink implements Sink {

    private final Map<String, TableSchema> schemas = new LinkedHashMap<>();
    private final Map<String, TreeMap<List<Object>, List<Object>>> durable = new LinkedHashMap<>();
    private final List<Writer> writers = new ArrayList<>();
    private final Map<String, Map<List<Object>, Long>> versions = new LinkedHashMap<>();
    private final Map<String, TreeMap<List<Object>, List<Object>>> replacements = new LinkedHashMap<>();
    private Predicate<ChangeEvent> rejects = e -> false;
    private boolean versioned;
    private boolean replacing;
    private long writes;
    private long flushes;

    @Override
    public synchronized Set<SinkCapability> capabilities() {
        EnumSet<SinkCapability> c = EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE);
        if (versioned) {
            c.add(SinkCapability.VERSIONED);
        }
        if (replacing) {
            c.add(SinkCapability.REPLACE);
        }
        return c;
    }

    /** Loads fresh snapshots aside and swaps them in at the end, offering {@link SinkCapability#REPLACE}. */
    public synchronized MemorySink replacing() {
        this.replacing = true;
        return this;
    }

    /**
     * Keeps a version per key (deleted keys too) and skips a change older than the kept one, offering
     * {@link SinkCapability#VERSIONED}.
     */
    public synchronized MemorySink versioned() {
        this.versioned = true;
        return this;
    }

    /** Whether a versioned sink compares versions. Only a deliberately broken sink returns false. */
    protected boolean comparesVersions() {
        return true;
    }

    /** Rows matching {@code predicate} make a write fail with a {@link DataException} (a bad record). */
    public synchronized MemorySink rejecting(Predicate<ChangeEvent> predicate) {
        this.rejects = predicate;
        return this;
    }

    @Override
    public synchronized TableWriter open(TableSchema schema) {
        TableSchema old = schemas.get(schema.name());
        if (old != null && !old.columns().equals(schema.columns())) {
            throw new IllegalStateException("target '" + schema.name() + "' exists with other columns");
        }
        schemas.put(schema.name(), schema);
        durable.computeIfAbsent(schema.name(), k -> new TreeMap<>(Keys.TUPLES));
        Writer w = new Writer(schema.name());
        writers.add(w);
        return w;
    }

    /**
     * Whether DELETE events are applied. Only a deliberately broken sink returns false; see the test kit's
     * own tests.
     */
    protected boolean appliesDeletes() {
        return true;
    }

    /** Whether a closing writer sends what it buffers. Only a deliberately broken sink returns false. */
    protected boolean flushesOnClose() {
        return true;
    }

    private synchronized WriteResult write(Writer w, Batch batch) {
        if (!w.table.equals(batch.schema().name())) {
            throw new IllegalStateException("the writer of '" + w.table + "' got a batch for '" + batch.schema().name() + "'");
        }
        if (w.closed) {
            throw new IllegalStateException("write to the closed writer of '" + w.table + "'");
        }
        for (ChangeEvent e : batch.events()) {
            if (rejects.test(e)) {
                throw new DataException("table '" + batch.schema().name() + "', key " + e.keyText() + ": rejected value");
            }
        }
        writes++;
        w.pending.add(batch);
        if (!versioned || !comparesVersions()) {
            return WriteResult.applied(batch);
        }
        // Stale events are known at write time: against the kept versions and those earlier in this buffer.
        Map<List<Object>, Long> kept = new java.util.HashMap<>(versions.getOrDefault(w.table, Map.of()));
        int up = 0;
        int del = 0;
        int skipped = 0;
        for (Batch b : w.pending) {
            for (ChangeEvent e : b.events()) {
                Long v = kept.get(e.key());
                boolean stale = v != null && e.version() < v;
                if (!stale) {
                    kept.put(e.key(), e.version());
                }
                if (b == batch) {
                    if (stale) {
                        skipped++;
                    } else if (e.operation() == dev.dbsync.spi.Operation.DELETE) {
                        del++;
                    } else {
                        up++;
                    }
                }
            }
        }
        return WriteResult.of(up, del, skipped, List.of());
    }

    private synchronized void flush(Writer w) {
        TreeMap<List<Object>, List<Object>> rows = w.replacement ? replacements.get(w.table) : durable.get(w.table);
        Map<List<Object>, Long> kept = versions.computeIfAbsent(w.table, k -> new java.util.HashMap<>());
        for (Batch b : w.pending) {
            for (ChangeEvent e : b.events()) {
                if (versioned && comparesVersions()) {
                    Long v = kept.get(e.key());
                    if (v != null && e.version() < v) {
                        continue;
                    }
                    kept.put(e.key(), e.version());
                }
                switch (e.operation()) {
                    case UPSERT:
                        rows.put(e.key(), new ArrayList<>(e.values()));
                        break;
                    case DELETE:
                        if (appliesDeletes()) {
                            rows.remove(e.key());
                        }
                        break;
                    default:
                        throw new IllegalStateException("unexpected operation " + e.operation() + " in a batch");
                }
            }
        }
        if (!w.pending.isEmpty()) {
            flushes++;
        }
        w.pending.clear();
    }

    private synchronized void truncate(Writer w) {
        flush(w);
        (w.replacement ? replacements.get(w.table) : durable.get(w.table)).clear();
        versions.remove(w.table);
    }

    private synchronized void close(Writer w) {
        if (!w.closed) {
            if (flushesOnClose()) {
                flush(w);
            }
            w.closed = true;
            writers.remove(w);
        }
    }

    /** The flushed rows of a target table in key order; empty when the table was never opened. */
    public synchronized List<List<Object>> rows(String table) {
        TreeMap<List<Object>, List<Object>> rows = durable.get(table);
        return rows == null ? List.of() : new ArrayList<>(rows.values());
    }

    /** The schema a target table was opened with, or null. */
    public synchronized TableSchema schema(String table) {
        return schemas.get(table);
    }

    public synchronized long writes() {
        return writes;
    }

    /** Flushes that sent something (flushes of an empty buffer are not counted). */
    public synchronized long flushes() {
        return flushes;
    }

    /** Forgets what every open writer wrote but did not flush, as a crash of the target would. */
    public synchronized void loseUnflushed() {
        for (Writer w : writers) {
            w.pending.clear();
        }
    }

    @Override
    public void close() {
    }

    private synchronized void beginReplacement(Writer w) {
        flush(w);
        replacements.put(w.table, new TreeMap<>(Keys.TUPLES));
        w.replacement = true;
    }

    private synchronized boolean resumeReplacement(Writer w) {
        w.replacement = replacements.containsKey(w.table);
        return w.replacement;
    }

    private synchronized void commitReplacement(Writer w) {
        flush(w);
        durable.put(w.table, replacements.remove(w.table));
        w.replacement = false;
    }

    /** The rows of a replacement being loaded for {@code table}; null when none is. */
    public synchronized List<List<Object>> replacementRows(String table) {
        TreeMap<List<Object>, List<Object>> r = replacements.get(table);
        return r == null ? null : new ArrayList<>(r.values());
    }

    private final class Writer implements TableWriter {
        final String table;
        final List<Batch> pending = new ArrayList<>();
        boolean closed;
        /** Whether writes go to the table's replacement. */
        boolean replacement;

        @Override
        public void beginReplacement() {
            MemorySink.this.beginReplacement(this);
        }

        @Override
        public boolean resumeReplacement() {
            return MemorySink.this.resumeReplacement(this);
        }

        @Override
        public void commitReplacement() {
            MemorySink.this.commitReplacement(this);
        }

        Writer(String table) {
            this.table = table;
        }

        @Override
        public WriteResult write(Batch batch) {
            return MemorySink.this.write(this, batch);
        }

        @Override
        public void flush() {
            MemorySink.this.flush(this);
        }

        @Override
        public void truncate() {
            MemorySink.this.truncate(this);
        }

        @Override
        public void close() {
            MemorySink.this.close(this);
        }
    }
}
