package dev.dbsync.internal;

import dev.dbsync.spi.Checkpoint;
import dev.dbsync.spi.CheckpointStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Checkpoints in memory: for tests and for pipelines that always start from scratch. */
public final class MemoryCheckpointStore implements CheckpointStore {

    private final Map<String, String> entries = new ConcurrentHashMap<>();

    @Override
    public Optional<Checkpoint> load(String pipeline, String table) {
        String s = entries.get(pipeline + '\u0000' + table);
        return s == null ? Optional.empty() : Optional.of(Checkpoint.decode(s));
    }

    @Override
    public void save(String pipeline, String table, Checkpoint checkpoint) {
        entries.put(pipeline + '\u0000' + table, checkpoint.encode());
    }

    @Override
    public void clear(String pipeline, String table) {
        entries.remove(pipeline + '\u0000' + table);
    }
}
