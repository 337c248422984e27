package dev.dbsync.spi;

/**
 * Writes the changes of one target table; opened by {@link Sink#open(TableSchema)}. Everything a writer does
 * concerns its own table only, so writers of different tables never flush, refresh or fail each other's work.
 *
 * <p>Lifecycle, in order:
 * <ol>
 *   <li>{@link Sink#open(TableSchema)} returns the writer (the target table exists and fits the schema);</li>
 *   <li>{@link #write(Batch)} any number of times, interleaved with {@link #flush()}: the engine flushes a
 *       writer exactly before it saves a checkpoint covering what was written to it, and a writer may also
 *       send its buffer by itself whenever it likes; {@link #truncate()} when the source emptied the table;</li>
 *   <li>{@link #close()} once: sends what is still buffered, then releases the writer's resources.</li>
 * </ol>
 *
 * <p>Threading: a writer is used by one thread at a time (the engine never calls one writer from two threads
 * at once, but may call it from different threads one after the other). Writers of different tables of one
 * sink are used from different threads at the same time.
 *
 * <p>Errors: {@link RetriableException} = transient, the engine calls the same method again with backoff.
 * {@link DataException} = something in the records is bad: from {@link #write}, nothing of that batch was
 * applied; from {@link #flush} (or a write that sent a buffer), the writer has discarded everything written
 * since its last successful flush. Either way the engine writes those events again in halves, each flushed,
 * until the bad records are isolated, and hands them to the dead-letter handler. A {@link LeaseException} means
 * another process took over the pipeline: the engine stops. Any other exception stops the table.
 */
public interface TableWriter extends AutoCloseable {

    /**
     * Applies the batch: upserts by key, deletes by key (when {@link SinkCapability#DELETE} is offered).
     * Events are applied in order, so the last change of a key wins; with {@link SinkCapability#VERSIONED} a
     * change whose {@link ChangeEvent#version()} is lower than the stored one is skipped and counted as such.
     * The batch never holds a {@link Operation#TRUNCATE}: the engine calls {@link #truncate()} instead.
     *
     * @return the counts and the events rejected individually; never null
     */
    WriteResult write(Batch batch);

    /**
     * Makes everything written to this table so far durable and visible (e.g. sends the buffer, commits,
     * refreshes). Called before each checkpoint that covers this table is saved. A writer without a buffer
     * does nothing.
     */
    void flush();

    /**
     * Removes every row of the table, after sending what is buffered. Called only when the sink offers
     * {@link SinkCapability#TRUNCATE}.
     */
    default void truncate() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot truncate");
    }

    /**
     * Starts loading a replacement of the table ({@link SinkCapability#REPLACE}): a leftover replacement is
     * dropped, an empty one created, and writes go to it (readers still see the table) until
     * {@link #commitReplacement()}. Called instead of {@link #truncate()} before a fresh full snapshot.
     */
    default void beginReplacement() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot load a replacement");
    }

    /**
     * Continues a replacement a previous process began (a resumed snapshot): writes go to it again. Returns false
     * when there is none because it was already swapped in (the previous process got as far as
     * {@link #commitReplacement()}): the snapshot is complete.
     */
    default boolean resumeReplacement() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot load a replacement");
    }

    /**
     * Makes what was written to the replacement durable, then swaps it in atomically: readers see the old rows or
     * the new ones, never a partly loaded table; the replacement is gone afterwards and writes go to the table.
     */
    default void commitReplacement() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot load a replacement");
    }

    /**
     * Sends what is still buffered (a row written and not yet flushed must not be lost because the writer
     * closes), then releases this table's resources. Called once; the sink itself stays open.
     */
    @Override
    void close();
}
