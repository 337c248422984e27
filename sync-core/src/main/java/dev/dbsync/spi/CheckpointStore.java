package dev.dbsync.spi;

import java.util.Optional;

/**
 * Keeps one {@link Checkpoint} per pipeline and table. {@link #save} is atomic: after a crash at any moment
 * {@link #load} returns either the previous or the new checkpoint, never a mix or nothing.
 *
 * <p>Thread-safe: different tables are saved from different threads.
 */
public interface CheckpointStore extends AutoCloseable {

    /** The saved checkpoint, or empty when the table was never checkpointed in this pipeline. */
    Optional<Checkpoint> load(String pipeline, String table);

    /** Replaces the checkpoint atomically and durably. */
    void save(String pipeline, String table, Checkpoint checkpoint);

    /** Forgets the checkpoint (the next run starts the table from scratch). Missing is not an error. */
    void clear(String pipeline, String table);

    @Override
    default void close() {
    }
}
