package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import dev.dbsync.internal.ArrayView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A bounded list of changes to one target table, handed to {@link Sink#write}.
 *
 * @param schema     the target table's schema (its name is the target name); never null
 * @param events     the changes in source order; never null or empty. Later events for the same key
 *                   supersede earlier ones.
 * @param checkpoint the checkpoint the engine saves once this batch is flushed, in the text form of
 *                   {@link Checkpoint#encode()}; a sink that keeps checkpoints in the target may write it
 *                   in the same transaction as the data. May be null (e.g. when isolating a bad record).
 * @param pipeline   the pipeline the checkpoint belongs to; null when {@code checkpoint} is null
 * @param table      the source table (the {@link CheckpointStore} key) the checkpoint belongs to; null when
 *                   {@code checkpoint} is null
 */
public record Batch(TableSchema schema, List<ChangeEvent> events, String checkpoint, String pipeline, String table) {

    public Batch {
        requireNonNull(schema, "schema is null");
        events = List.copyOf(requireNonNull(events, "events is null"));
        if (checkpoint != null && (pipeline == null || table == null)) {
            throw new IllegalArgumentException("a batch with a checkpoint names its pipeline and table");
        }
    }

    /** A batch without a checkpoint to write along. */
    public Batch(TableSchema schema, List<ChangeEvent> events) {
        this(schema, events, null, null, null);
    }

    /**
     * The events with only the last change of each key kept, in the order of those last changes. Sinks
     * whose bulk statements cannot touch one row twice (e.g. {@code INSERT … ON CONFLICT}) write this.
     * A TRUNCATE event keeps its place; changes before it are dropped.
     */
    public List<ChangeEvent> latestPerKey() {
        int n = events.size();
        // Keys must compare byte[] values by content (a bytea key is one key however often it is seen): such keys
        // are wrapped in a Position; the others are used as they are.
        Map<Object, Integer> last = new HashMap<>(n * 2);
        Object[] keys = new Object[n];
        int truncateAt = -1;
        for (int i = 0; i < n; i++) {
            ChangeEvent e = events.get(i);
            if (e.operation() == Operation.TRUNCATE) {
                truncateAt = i;
            } else {
                keys[i] = bytesIn(e.key()) ? Position.of(e.key()) : e.key();
                last.put(keys[i], i);
            }
        }
        if (last.size() == n) {
            return events;
        }
        List<ChangeEvent> out = new ArrayList<>(last.size() + 1);
        for (int i = Math.max(truncateAt, 0); i < n; i++) {
            ChangeEvent e = events.get(i);
            if (i == truncateAt || (e.operation() != Operation.TRUNCATE && last.get(keys[i]) == i)) {
                out.add(e);
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
}
