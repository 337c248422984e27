package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One bounded read from a {@link Source}.
 *
 * @param events the events in source order; never null, may be empty
 * @param next   the position to pass to the next read: the position of the last row read, whether it became an
 *               event or is among {@code failed}; otherwise the position the read started from (null when it
 *               started from the beginning and found nothing)
 * @param last   true when the read reached the end: the snapshot is complete, or the incremental reader has
 *               caught up with the source's safe bound
 * @param failed rows the source could read only in part (a value without a form in its logical type, e.g. a
 *               numeric NaN): each as an event holding what could be read (the key, and null for the value that
 *               could not) with the reason naming the column; the engine hands them to the dead-letter handler
 *               and counts them, the way rows a sink refuses are. Never null
 */
public record Chunk(List<ChangeEvent> events, Position next, boolean last, List<WriteResult.FailedEvent> failed) {

    public Chunk {
        events = List.copyOf(requireNonNull(events, "events is null"));
        failed = List.copyOf(requireNonNull(failed, "failed is null"));
    }

    /** A chunk in which every row was read. */
    public Chunk(List<ChangeEvent> events, Position next, boolean last) {
        this(events, next, last, List.of());
    }
}
