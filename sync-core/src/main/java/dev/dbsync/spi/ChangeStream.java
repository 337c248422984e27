package dev.dbsync.spi;

import java.time.Duration;
import java.util.List;

/**
 * An open change feed. Used by one thread: {@link #poll} repeatedly, {@link #acknowledge} after the sink
 * has flushed what was polled, {@link #close} once.
 */
public interface ChangeStream extends AutoCloseable {

    /**
     * Waits up to {@code timeout} for changes and returns those available, in commit order; never null,
     * empty when nothing arrived. Events of one transaction may span several polls. Throws
     * {@link RetriableException} when the connection broke and the stream can be reopened from the last
     * acknowledged position.
     */
    List<ChangeEvent> poll(Duration timeout);

    /**
     * Tells the source that every event up to and including {@code flushed} is durable in the sink, so it
     * may release what it retains for them (e.g. the WAL behind a replication slot). Until the engine first calls
     * it, a stream releases nothing on its own, whatever it was opened at: the engine holds acknowledgements back
     * while a sink is added to a running pipeline, and then opens the feed again at an older position.
     */
    void acknowledge(Position flushed);

    /**
     * Where the stream stands after a poll that returned nothing, when that is further than its last event (e.g.
     * a change stream's post-batch resume token, the log position a replication server reported as processed):
     * every change before it has been delivered. The engine saves and acknowledges it while the feed is quiet, so
     * an idle feed never leaves a stale position behind. Called from the polling thread after everything polled
     * was flushed. The default, null, means the stream cannot tell.
     */
    default Position idlePosition() {
        return null;
    }

    /**
     * Whether the stream has delivered every change committed before it was opened. A run that must bring the
     * target up to the moment it started (the engine's {@code runOnce}) keeps polling until this is true, however
     * long the feed stays quiet meanwhile (a source far behind may need minutes to get through unrelated log).
     * Called from the polling thread between polls. The default, for sources that cannot tell, is true.
     */
    default boolean caughtUp() {
        return true;
    }

    @Override
    void close();
}
