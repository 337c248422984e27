package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One bounded read from a {@link Source}.
 *
 * @param events the events in source order; never null, may be empty
 * @param next   the position to pass to the next read; equals the last event's position when there are
 *               events, otherwise the position the read started from (null when it started from the
 *               beginning and found nothing)
 * @param last   true when the read reached the end: the snapshot is complete, or the incremental reader has
 *               caught up with the source's safe bound
 */
public record Chunk(List<ChangeEvent> events, Position next, boolean last) {

    public Chunk {
        events = List.copyOf(requireNonNull(events, "events is null"));
    }
}
