package dev.dbsync.spi;

import java.util.Optional;
import java.util.Set;

/**
 * Writes changes into a target database, idempotently: writing the same batch twice leaves the same target
 * as writing it once, which together with at-least-once delivery gives exactly-once results.
 *
 * <p>Lifecycle, in order:
 * <ol>
 *   <li>a {@link SinkFactory} creates the sink from a validated config;</li>
 *   <li>{@link #open(TableSchema)} once per target table, before any write to it: create the table if it
 *       is missing and {@link SinkCapability#AUTO_CREATE} is offered, otherwise check it is compatible;</li>
 *   <li>{@link #write(Batch)} any number of times, followed by {@link #flush(TableSchema)} (table runs) or
 *       {@link #flush()} (change feeds, which write several tables) before the engine saves the checkpoint
 *       that covers them;</li>
 *   <li>{@link #close()} once.</li>
 * </ol>
 *
 * <p>Threading: different tables may be written from different threads at once; one table is only ever
 * written by one thread.
 *
 * <p>Errors: {@link RetriableException} = transient, the engine retries the same batch with backoff;
 * {@link DataException} = something in the records is bad: from {@link #write}, the batch was not applied;
 * from {@link #flush} (or a write that sent a buffer), a buffering sink has discarded everything written since
 * its last successful flush. Either way the engine writes those events again in halves, each flushed, until the
 * bad records are isolated, and hands those to the dead-letter handler. Any other exception stops the table.
 */
public interface Sink extends AutoCloseable {

    /** What this sink can do; never null. */
    Set<SinkCapability> capabilities();

    /** Prepares the target table for {@code schema} (create or validate). Idempotent. */
    void open(TableSchema schema);

    /**
     * Applies the batch: upserts by key, deletes by key (when {@link SinkCapability#DELETE} is offered),
     * truncates on {@link Operation#TRUNCATE}. Events are applied in order, so the last change of a key wins.
     * Returns the counts and the events rejected individually; never null.
     */
    WriteResult write(Batch batch);

    /** Makes everything written so far durable and visible. Called before each checkpoint is saved. */
    void flush();

    /**
     * Makes everything written so far to this one table durable and visible; a table's run calls this before
     * saving the table's checkpoint, possibly while other tables are written from other threads. Sinks that
     * buffer per table override it so parallel tables do not flush (or fail) each other's buffers. The default
     * flushes everything.
     */
    default void flush(TableSchema table) {
        flush();
    }

    /** Removes every row of the target table. Only called when {@link SinkCapability#TRUNCATE} is offered. */
    default void truncate(TableSchema schema) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot truncate " + schema.name());
    }

    /**
     * A checkpoint store kept in the target, so positions live beside the data (offered with
     * {@link SinkCapability#CHECKPOINT_STORE}); empty by default.
     */
    default Optional<CheckpointStore> checkpointStore() {
        return Optional.empty();
    }

    /** Releases connections; called once. */
    @Override
    void close();
}
