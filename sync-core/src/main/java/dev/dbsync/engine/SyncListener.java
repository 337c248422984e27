package dev.dbsync.engine;

/**
 * Receives the engine's figures as they happen, e.g. to feed metrics. Methods are called from the engine's
 * threads (one per table at a time) and must return quickly and not throw; default methods do nothing.
 */
public interface SyncListener {

    /** After each batch was written and its checkpoint saved. */
    default void onProgress(Progress progress) {
    }

    /** When a table finished its run, successfully or not. */
    default void onTableFinished(String pipeline, TableReport report) {
    }

    /** When a whole run finished. */
    /**
     * The change feed's status (retained log, lag), about every 10 seconds while a feed streams and at the end of
     * each run with CDC tables; {@code aboveWarning} when it keeps more than {@code feed.warn.retained}.
     */
    default void onFeedStatus(String pipeline, dev.dbsync.spi.FeedStatus status, boolean aboveWarning) {
    }

    default void onRunFinished(SyncReport report) {
    }

    /**
     * Running figures of one table.
     *
     * @param pipeline       the pipeline name
     * @param table          the source table
     * @param snapshot       whether a snapshot is being read
     * @param rowsRead       events read so far in this run
     * @param rowsWritten    events written so far in this run (upserted + deleted)
     * @param failed         events rejected so far
     * @param estimatedTotal the source's row estimate for a snapshot, or -1
     * @param rowsPerSecond  rows read per second so far
     */
    record Progress(String pipeline, String table, boolean snapshot, long rowsRead, long rowsWritten, long failed,
                    long estimatedTotal, double rowsPerSecond) {
    }
}
