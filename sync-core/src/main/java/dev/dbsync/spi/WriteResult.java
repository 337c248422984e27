package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What a {@link TableWriter#write} did: how many events were applied, how many a versioned sink skipped as
 * stale (an older replay of a row it already holds newer), and which were rejected individually. Immutable.
 */
public final class WriteResult {

    private final int upserted;
    private final int deleted;
    private final int skipped;
    private final List<FailedEvent> failed;

    private WriteResult(int upserted, int deleted, int skipped, List<FailedEvent> failed) {
        if (upserted < 0 || deleted < 0 || skipped < 0) {
            throw new IllegalArgumentException("negative count in write result: upserted " + upserted + ", deleted "
                    + deleted + ", skipped " + skipped);
        }
        this.upserted = upserted;
        this.deleted = deleted;
        this.skipped = skipped;
        this.failed = List.copyOf(requireNonNull(failed, "failed is null"));
    }

    /** A result with these counts. */
    public static WriteResult of(int upserted, int deleted, int skipped, List<FailedEvent> failed) {
        return new WriteResult(upserted, deleted, skipped, failed);
    }

    /** All events of the batch applied. */
    public static WriteResult applied(Batch batch) {
        return appliedExcept(batch, List.of());
    }

    /** All events of the batch applied except the failed ones (which must be events of the batch). */
    public static WriteResult appliedExcept(Batch batch, List<FailedEvent> failed) {
        int up = 0;
        int del = 0;
        for (ChangeEvent e : batch.events()) {
            if (e.operation() == Operation.UPSERT) {
                up++;
            } else if (e.operation() == Operation.DELETE) {
                del++;
            }
        }
        for (FailedEvent f : failed) {
            if (f.event().operation() == Operation.UPSERT) {
                up--;
            } else if (f.event().operation() == Operation.DELETE) {
                del--;
            }
        }
        return new WriteResult(up, del, 0, failed);
    }

    /** Upsert events applied. */
    public int upserted() {
        return upserted;
    }

    /** Delete events applied. */
    public int deleted() {
        return deleted;
    }

    /** Events a versioned sink skipped because it holds a newer version of the row; not failures. */
    public int skipped() {
        return skipped;
    }

    /** Events rejected individually; the engine hands them to the dead-letter handler and counts them. Never null. */
    public List<FailedEvent> failed() {
        return failed;
    }

    @Override
    public String toString() {
        return "WriteResult[upserted=" + upserted + ", deleted=" + deleted + ", skipped=" + skipped + ", failed="
                + failed.size() + "]";
    }

    /**
     * One rejected event and why.
     *
     * @param event  the event; never null
     * @param reason a message naming what was wrong (column, value, constraint); never null
     * @param cause  the underlying exception; may be null
     */
    public record FailedEvent(ChangeEvent event, String reason, Throwable cause) {
        public FailedEvent {
            requireNonNull(event, "event is null");
            requireNonNull(reason, "reason is null");
        }
    }
}
