package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A bounded list of changes to one target table, handed to {@link TableWriter#write}. Immutable.
 *
 * <ul>
 *   <li>{@link #schema()}: the target table's schema (its name is the target name);</li>
 *   <li>{@link #events()}: the changes in source order, never empty; later events for the same key supersede
 *       earlier ones; never a {@link Operation#TRUNCATE} (the engine calls {@link TableWriter#truncate()});</li>
 *   <li>{@link #checkpoint()}: the checkpoint the engine saves once this batch is flushed, for sinks that keep
 *       checkpoints in the target; present only when the pipeline's checkpoint store is the very instance this
 *       sink's {@link Sink#checkpointStore()} returns, so a sink never sees another store's lease; empty also
 *       while bad records are being isolated.</li>
 * </ul>
 */
public final class Batch {

    private final TableSchema schema;
    private final List<ChangeEvent> events;
    private final CheckpointUpdate checkpoint;
    private final String pipeline;

    private Batch(String pipeline, TableSchema schema, List<ChangeEvent> events, CheckpointUpdate checkpoint) {
        this.pipeline = pipeline;
        this.schema = requireNonNull(schema, "schema is null");
        this.events = List.copyOf(requireNonNull(events, "events is null"));
        this.checkpoint = checkpoint;
        if (this.events.isEmpty()) {
            throw new IllegalArgumentException("a batch for '" + schema.name() + "' has no events");
        }
        for (ChangeEvent e : this.events) {
            if (e.operation() == Operation.TRUNCATE) {
                throw new IllegalArgumentException("a batch for '" + schema.name() + "' holds a TRUNCATE; truncate the writer instead");
            }
        }
    }

    /** A batch without a checkpoint to write along. */
    public static Batch of(TableSchema schema, List<ChangeEvent> events) {
        return new Batch(null, schema, events, null);
    }

    /** A batch with the checkpoint that is saved once it is flushed ({@code checkpoint} may be null). */
    public static Batch of(TableSchema schema, List<ChangeEvent> events, CheckpointUpdate checkpoint) {
        return new Batch(null, schema, events, checkpoint);
    }

    /**
     * A batch of the named pipeline, as the engine makes them; {@code checkpoint} may be null.
     */
    public static Batch of(String pipeline, TableSchema schema, List<ChangeEvent> events, CheckpointUpdate checkpoint) {
        return new Batch(requireNonNull(pipeline, "pipeline is null"), schema, events, checkpoint);
    }

    /**
     * The pipeline writing this batch, whatever store keeps its checkpoints — e.g. for a transactional id per
     * pipeline, so a restarted process fences the transactions its killed predecessor left open. Empty for
     * batches made outside the engine.
     */
    public Optional<String> pipeline() {
        return Optional.ofNullable(pipeline);
    }

    /** The target table's schema; never null. */
    public TableSchema schema() {
        return schema;
    }

    /** The events, unmodifiable, never empty. */
    public List<ChangeEvent> events() {
        return events;
    }

    /** The checkpoint to write with the rows (sinks keeping checkpoints in the target); may be empty. */
    public Optional<CheckpointUpdate> checkpoint() {
        return Optional.ofNullable(checkpoint);
    }

    /**
     * The events with only the last change of each key kept, in the order of those last changes. Sinks
     * whose bulk statements cannot touch one row twice (e.g. {@code INSERT … ON CONFLICT}) write this.
     */
    public List<ChangeEvent> latestPerKey() {
        int n = events.size();
        // Keys must compare byte[] values by content (a bytea key is one key however often it is seen): such keys
        // are wrapped in a Position; the others are used as they are.
        Map<Object, Integer> last = new HashMap<>(n * 2);
        Object[] keys = new Object[n];
        for (int i = 0; i < n; i++) {
            ChangeEvent e = events.get(i);
            keys[i] = bytesIn(e.key()) ? Position.of(e.key()) : e.key();
            last.put(keys[i], i);
        }
        if (last.size() == n) {
            return events;
        }
        List<ChangeEvent> out = new ArrayList<>(last.size());
        for (int i = 0; i < n; i++) {
            if (last.get(keys[i]) == i) {
                out.add(events.get(i));
            }
        }
        return out;
    }

    private static boolean bytesIn(List<Object> key) {
        if (key instanceof ArrayView) {
            return ((ArrayView) key).holdsBytes();
        }
        for (Object v : key) {
            if (v instanceof byte[]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "Batch[" + schema.name() + ", " + events.size() + " events" + (checkpoint == null ? "" : ", with checkpoint") + "]";
    }
}
