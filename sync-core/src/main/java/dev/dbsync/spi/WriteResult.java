package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What a {@link Sink#write} did.
 *
 * @param upserted number of upsert events applied
 * @param deleted  number of delete events applied
 * @param failed   events the sink rejected individually (e.g. a per-row error of a bulk request); the engine
 *                 hands them to the dead-letter handler and counts them. Never null.
 */
public record WriteResult(int upserted, int deleted, List<FailedEvent> failed) {

    public WriteResult {
        failed = List.copyOf(requireNonNull(failed, "failed is null"));
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
        return new WriteResult(up, del, failed);
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
