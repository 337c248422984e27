package dev.dbsync.spi;

/**
 * How the row of an {@link Operation#UPSERT} came to be, as far as the source knows. Sinks that only keep the
 * current row ignore it; sinks that record history (change-event topics, audit tables) use it.
 */
public enum ChangeKind {
    /** Read by a snapshot: the row exists, nothing is known about how it got there. */
    READ,
    /** A change feed saw the row inserted. */
    INSERT,
    /** A change feed saw the row updated; {@link ChangeEvent#before()} holds the old row when the source has it. */
    UPDATE,
    /** Changed, but whether inserted or updated is unknown (e.g. an incremental read by a cursor). */
    UNKNOWN
}
