package dev.dbsync.spi;

/** What a {@link Sink} can do; the engine and the contract test suites act on these. */
public enum SinkCapability {
    /** Applies {@link Operation#DELETE} events. */
    DELETE,
    /** Removes all rows of a table ({@link TableWriter#truncate()}); used before a fresh full snapshot. */
    TRUNCATE,
    /** Creates missing target tables from the schema in {@link Sink#open}. */
    AUTO_CREATE,
    /** Writes each batch atomically: all of it or none. */
    TRANSACTIONS,
    /**
     * Keeps a version per row and lets a higher {@link ChangeEvent#version()} win over a lower one: a replayed
     * older change never overwrites a newer one.
     */
    VERSIONED,
    /** Offers a {@link CheckpointStore} that lives in the target ({@link Sink#checkpointStore()}). */
    CHECKPOINT_STORE,
    /**
     * Loads a fresh snapshot aside and swaps it in atomically once complete ({@link TableWriter#beginReplacement()}
     * and the methods after it), so a refresh that fails half-way never leaves the target emptier than before.
     */
    REPLACE
}
