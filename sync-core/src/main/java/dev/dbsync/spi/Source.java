package dev.dbsync.spi;

import java.util.List;
import java.util.OptionalLong;

/**
 * Reads tables of a source database in bounded, resumable chunks.
 *
 * <p>Lifecycle, in order:
 * <ol>
 *   <li>a {@link SourceFactory} creates the source from a validated config;</li>
 *   <li>the engine calls {@link #describe(TableSpec)} for every configured table;</li>
 *   <li>it reads each table with {@link #readSnapshot} and/or {@link #readChanges} as many times as
 *       needed, passing back the {@link Chunk#next()} position of the previous read;</li>
 *   <li>it calls {@link #close()} once.</li>
 * </ol>
 *
 * <p>Threading: the engine may read different tables from different threads at the same time, but never
 * one table from two threads; implementations must be safe for that (e.g. a connection per call or
 * per table).
 *
 * <p>Errors: throw {@link RetriableException} for transient failures (connection lost, timeouts); the
 * engine retries the same read with backoff. Any other {@link SyncException} stops the table.
 */
public interface Source extends AutoCloseable {

    /** The tables or collections this source can read, as names {@link TableSpec#table()} accepts; never null. */
    List<String> listTables();

    /**
     * The schema of the table, with the spec's key override applied. Fails with a {@link SyncException}
     * naming the table when it does not exist, has no key and none is configured, or a configured cursor or
     * soft-delete column is missing.
     */
    TableSchema describe(TableSpec spec);

    /** An estimate of the table's row count for progress reporting; empty when unknown. */
    default OptionalLong estimateRows(TableSpec spec) {
        return OptionalLong.empty();
    }

    /**
     * Reads at most {@code maxRows} rows of the snapshot in primary-key order, strictly after the key in
     * {@code after} (null = from the beginning). Rows marked as soft-deleted are returned as
     * {@link Operation#DELETE} events; all others as {@link Operation#UPSERT}. Each event's position is its
     * key, so a snapshot can be resumed after any event.
     */
    Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows);

    /**
     * The position from which {@link #readChanges} returns every change made after this call: taken before
     * a snapshot starts, it makes snapshot followed by incremental reads gap-free. Requires a cursor.
     */
    Position changesStart(TableSpec spec, TableSchema schema);

    /**
     * Reads at most {@code maxRows} changed rows strictly after {@code after}, ordered by (cursor, key) so
     * rows sharing one cursor value are never skipped at a chunk boundary. Reads only up to a safe bound
     * (rows whose cursor could still be overtaken by a transaction not yet committed are left for a later
     * read). Soft-deleted rows come as {@link Operation#DELETE}. {@link Chunk#last()} is true when the read
     * caught up.
     */
    Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows);

    /** Releases connections; called once. Must not throw checked exceptions. */
    @Override
    void close();
}
