package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

/**
 * The right of one process to advance a pipeline's checkpoints, handed out by
 * {@link CheckpointStore#acquire(String, String)}. The fencing token grows with every acquisition of the
 * pipeline, so a store can refuse a save made under an older lease: two processes running one pipeline can
 * never both advance it.
 */
public final class Lease {

    private final String pipeline;
    private final String holder;
    private final long token;

    private Lease(String pipeline, String holder, long token) {
        this.pipeline = requireNonNull(pipeline, "pipeline is null");
        this.holder = requireNonNull(holder, "holder is null");
        this.token = token;
    }

    /** A lease; created by checkpoint stores. */
    public static Lease of(String pipeline, String holder, long token) {
        return new Lease(pipeline, holder, token);
    }

    /** The pipeline the lease is for; never null. */
    public String pipeline() {
        return pipeline;
    }

    /** Who holds it, for messages (e.g. {@code host:pid}); never null. */
    public String holder() {
        return holder;
    }

    /** The fencing token: higher than that of every earlier lease of the pipeline in the same store. */
    public long token() {
        return token;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Lease && ((Lease) o).pipeline.equals(pipeline) && ((Lease) o).holder.equals(holder)
                && ((Lease) o).token == token;
    }

    @Override
    public int hashCode() {
        return pipeline.hashCode() * 31 + Long.hashCode(token);
    }

    @Override
    public String toString() {
        return "lease of pipeline " + pipeline + " held by " + holder + " (token " + token + ")";
    }
}
