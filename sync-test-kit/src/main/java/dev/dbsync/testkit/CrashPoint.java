package dev.dbsync.testkit;

/** Where a {@link CrashingSink} simulates a crash of the process. */
public enum CrashPoint {
    /** The n-th write throws before touching the target. */
    BEFORE_WRITE,
    /** The n-th write reaches the target, then the process dies before the flush. */
    AFTER_WRITE,
    /** The n-th flush completes, then the process dies before the checkpoint is saved. */
    AFTER_FLUSH
}
