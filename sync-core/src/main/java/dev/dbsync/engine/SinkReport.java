package dev.dbsync.engine;

import static java.util.Objects.requireNonNull;

/**
 * What one sink of a pipeline with several sinks did in a run.
 *
 * @param sink     the sink's name in the pipeline
 * @param state    where the sink stands after the run
 * @param upserted rows written to it (flushed), its snapshot on its own included
 * @param deleted  rows deleted from it
 * @param skipped  stale versioned writes it skipped
 * @param failed   rows it refused (dead-lettered)
 * @param error    why it is detached or behind; null when current
 */
public record SinkReport(String sink, State state, long upserted, long deleted, long skipped, long failed, String error) {

    /** Where a sink stands. */
    public enum State {
        /** Received every change of the run, like the others. */
        CURRENT,
        /** Was new or had been detached: snapshotted on its own in this run, then joined the others. */
        BACKFILLED,
        /** Failed past {@code sink.max.lag} in this run and was taken out; snapshotted again before it rejoins. */
        DETACHED,
        /** Still out: its snapshot on its own could not be done in this run (the error says why). */
        BEHIND
    }

    public SinkReport {
        requireNonNull(sink, "sink is null");
        requireNonNull(state, "state is null");
    }

    /** Whether the sink is current (or became current) at the end of the run. */
    public boolean succeeded() {
        return state == State.CURRENT || state == State.BACKFILLED;
    }
}
