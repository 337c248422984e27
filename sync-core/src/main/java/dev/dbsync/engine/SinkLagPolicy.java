package dev.dbsync.engine;

/**
 * What a pipeline with several sinks does with a sink that still fails after {@code sink.max.lag} of retries while
 * the others wait.
 */
public enum SinkLagPolicy {
    /**
     * The pipeline waits for it: the write fails, nothing further is checkpointed or acknowledged to the source
     * (the replication slot keeps the changes), and the next run tries again. No sink gets ahead of the slowest.
     */
    PAUSE,
    /**
     * The sink is taken out and the others go on; the report shows it as detached with the reason. Before it
     * rejoins (at the next run that finds it reachable) it is snapshotted again on its own, so it misses nothing.
     */
    DETACH
}
