package dev.dbsync.engine;

import dev.dbsync.spi.ErrorType;
import java.time.Duration;

/**
 * What one run did to one table.
 *
 * @param table     the source table
 * @param target    the target table
 * @param strategy  the strategy used
 * @param snapshot  whether the run read (part of) a full snapshot
 * @param rowsRead  events read from the source
 * @param upserted  upsert events the sink applied
 * @param deleted   delete events the sink applied (including soft deletes)
 * @param failed    events rejected and handed to the dead-letter handler
 * @param skipped   events a versioned sink skipped because it already held a newer version of the row
 * @param retries   retried operations after transient errors
 * @param duration  wall time of the table's run
 * @param error     why the table failed; null when it succeeded
 * @param errorType  who has to act on the failure ({@link ErrorType#EXTERNAL}: a database could not be reached
 *                   or refused, retries included; {@link ErrorType#CONFIG}: the pipeline's settings); null when
 *                   the table succeeded
 */
public record TableReport(String table, String target, Strategy strategy, boolean snapshot, long rowsRead,
                          long upserted, long deleted, long failed, long skipped, long retries, Duration duration,
                          String error, ErrorType errorType) {

    public TableReport {
        if (error != null && errorType == null) {
            errorType = ErrorType.INTERNAL;
        } else if (error == null) {
            errorType = null;
        }
    }

    /** A report whose failure, if any, is of unknown cause ({@link ErrorType#INTERNAL}). */
    public TableReport(String table, String target, Strategy strategy, boolean snapshot, long rowsRead,
                       long upserted, long deleted, long failed, long skipped, long retries, Duration duration, String error) {
        this(table, target, strategy, snapshot, rowsRead, upserted, deleted, failed, skipped, retries, duration, error, null);
    }

    /** A report without skipped events. */
    public TableReport(String table, String target, Strategy strategy, boolean snapshot, long rowsRead,
                       long upserted, long deleted, long failed, long retries, Duration duration, String error) {
        this(table, target, strategy, snapshot, rowsRead, upserted, deleted, failed, 0, retries, duration, error, null);
    }

    /** Whether the table completed without a fatal error. */
    public boolean succeeded() {
        return error == null;
    }

    /** Events read per second of wall time. */
    public double rowsPerSecond() {
        double s = duration.toNanos() / 1e9;
        return s <= 0 ? 0 : rowsRead / s;
    }
}
