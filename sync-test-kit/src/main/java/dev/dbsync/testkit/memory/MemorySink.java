package dev.dbsync.testkit.memory;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
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
 * to test the engine and the contract suites. Writes become visible only at {@link #flush()}, like a
 * buffering sink, so tests notice a checkpoint saved before its flush. Thread-safe.
 */
public class MemorySink implements Sink {

    private final Map<String, TableSchema> schemas = new LinkedHashMap<>();
    private final Map<String, TreeMap<List<Object>, List<Object>>> durable = new LinkedHashMap<>();
    private final List<Batch> pending = new ArrayList<>();
    private Predicate<ChangeEvent> rejects = e -> false;
    private long writes;
    private long flushes;

    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE);
    }

    /** Rows matching {@code predicate} make a write fail with a {@link DataException} (a bad record). */
    public synchronized MemorySink rejecting(Predicate<ChangeEvent> predicate) {
        this.rejects = predicate;
        return this;
    }

    @Override
    public synchronized void open(TableSchema schema) {
        TableSchema old = schemas.get(schema.name());
        if (old != null && !old.columns().equals(schema.columns())) {
            throw new IllegalStateException("target '" + schema.name() + "' exists with other columns");
        }
        schemas.put(schema.name(), schema);
        durable.computeIfAbsent(schema.name(), k -> new TreeMap<>(Keys.TUPLES));
    }

    @Override
    public synchronized WriteResult write(Batch batch) {
        if (!durable.containsKey(batch.schema().name())) {
            throw new IllegalStateException("write to '" + batch.schema().name() + "' before open");
        }
        for (ChangeEvent e : batch.events()) {
            if (rejects.test(e)) {
                throw new DataException("table '" + batch.schema().name() + "', key " + e.keyText() + ": rejected value");
            }
        }
        writes++;
        pending.add(batch);
        return WriteResult.applied(batch);
    }

    /**
     * Whether DELETE events are applied. Only a deliberately broken sink returns false; see the test kit's
     * own tests.
     */
    protected boolean appliesDeletes() {
        return true;
    }

    @Override
    public synchronized void flush() {
        for (Batch b : pending) {
            TreeMap<List<Object>, List<Object>> rows = durable.get(b.schema().name());
            for (ChangeEvent e : b.events()) {
                switch (e.operation()) {
                    case UPSERT:
                        rows.put(e.key(), new ArrayList<>(e.values()));
                        break;
                    case DELETE:
                        if (appliesDeletes()) {
                            rows.remove(e.key());
                        }
                        break;
                    case TRUNCATE:
                        rows.clear();
                        break;
                    default:
                        throw new IllegalStateException("unknown operation " + e.operation());
                }
            }
        }
        pending.clear();
        flushes++;
    }

    @Override
    public synchronized void truncate(TableSchema schema) {
        pending.removeIf(b -> b.schema().name().equals(schema.name()));
        durable.get(schema.name()).clear();
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

    public synchronized long flushes() {
        return flushes;
    }

    /** Forgets what was written but not flushed, as a crash of the target would. */
    public synchronized void loseUnflushed() {
        pending.clear();
    }

    @Override
    public void close() {
    }
}
