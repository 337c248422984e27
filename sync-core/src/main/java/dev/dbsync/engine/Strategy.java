package dev.dbsync.engine;

/** How a table is kept in sync. */
public enum Strategy {
    /**
     * A full snapshot each run (the target is truncated first when the sink can, so hard deletes in the
     * source disappear); with {@link TableSync#continueIncrementally()} the first snapshot is followed by
     * incremental reads instead of further snapshots.
     */
    FULL,
    /** Incremental reads by cursor; with no checkpoint yet, a full backfill comes first. Requires a cursor. */
    INCREMENTAL,
    /**
     * A snapshot, then the source's change feed; requires a {@link dev.dbsync.spi.StreamingSource}. The snapshot
     * is read without the cursor, so its rows carry version 0 and the feed's changes (versioned by log position)
     * always supersede them.
     */
    CDC
}
