package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

/**
 * The checkpoint the engine saves once a {@link Batch} is flushed. A sink that keeps checkpoints in the target
 * ({@link SinkCapability#CHECKPOINT_STORE}) writes it in the same transaction as the batch's rows, checking the
 * lease's fencing token there, so rows and position become durable together and a fenced-out process cannot
 * write either.
 */
public final class CheckpointUpdate {

    private final Lease lease;
    private final String key;
    private final String text;

    private CheckpointUpdate(Lease lease, String key, String text) {
        this.lease = requireNonNull(lease, "lease is null");
        this.key = requireNonNull(key, "key is null");
        this.text = requireNonNull(text, "text is null");
    }

    /** A checkpoint to save under {@code lease} at {@code key}. */
    public static CheckpointUpdate of(Lease lease, String key, String text) {
        return new CheckpointUpdate(lease, key, text);
    }

    /** The lease it is saved under (its pipeline and fencing token); never null. */
    public Lease lease() {
        return lease;
    }

    /** The checkpoint key (the source table, or the change feed); never null. */
    public String key() {
        return key;
    }

    /** The opaque checkpoint text; never null. */
    public String text() {
        return text;
    }
}
