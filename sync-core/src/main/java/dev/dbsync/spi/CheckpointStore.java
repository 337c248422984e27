package dev.dbsync.spi;

import java.util.Optional;

/**
 * Keeps opaque checkpoint texts per pipeline and key (a table, or the pipeline's change feed), fenced by a
 * {@link Lease}: only the current holder of a pipeline's lease can change its checkpoints. The engine defines
 * what the texts mean; a store never interprets them. Texts may be long (hundreds of kilobytes) and hold any
 * character except U+0000 (the engine writes JSON, which escapes control characters).
 *
 * <p>Lifecycle: {@link #acquire} once per engine before the first save, {@link #load}/{@link #save}/
 * {@link #clear} any number of times, {@link #release} when the engine closes, {@link #close} last.
 *
 * <p>Guarantees a store gives:
 * <ul>
 *   <li>{@link #save} is atomic and durable: after a crash at any moment {@link #load} returns the previous or
 *       the new text, never a mix or nothing;</li>
 *   <li>{@link #acquire} fails with a {@link LeaseException} naming the pipeline and the holder while another
 *       live process holds the lease; a holder that died (process killed, connection gone) loses it;</li>
 *   <li>{@link #save} and {@link #clear} under a lease that is no longer current fail with a
 *       {@link LeaseException} and change nothing.</li>
 * </ul>
 *
 * <p>Thread-safe: different tables are saved from different threads.
 */
public interface CheckpointStore extends AutoCloseable {

    /**
     * Takes the lease of {@code pipeline} for {@code holder} (a description such as {@code host:pid}, for
     * messages). Fails with a {@link LeaseException} naming both holders when another live process has it.
     */
    Lease acquire(String pipeline, String holder);

    /** The saved text, or empty when the key was never saved (or was cleared) in this pipeline. */
    Optional<String> load(String pipeline, String key);

    /** Replaces the text atomically and durably; refused when {@code lease} is no longer current. */
    void save(Lease lease, String key, String text);

    /** Forgets the text (the next run starts that key from scratch); missing is not an error. Fenced like save. */
    void clear(Lease lease, String key);

    /** Gives the lease up so another process may take the pipeline at once. Idempotent. */
    void release(Lease lease);

    @Override
    default void close() {
    }
}
