package dev.dbsync.internal;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.SyncException;
import java.lang.management.ManagementFactory;
import java.util.Optional;

/**
 * The engine's view of its checkpoint store: one pipeline, its lease, and the {@link Checkpoint} text form.
 * The lease is taken before the first save and kept until {@link #release()}.
 */
public final class Checkpoints {

    private final CheckpointStore store;
    private final String pipeline;
    private final java.time.Duration wait;
    private volatile Lease lease;
    private final boolean inSink;
    /** The view this one shares its lease with, and the prefix of its keys; null and "" for the pipeline's own. */
    private final Checkpoints root;
    private final String prefix;

    /**
     * @param wait how long {@link #acquire()} goes on asking while another holder has the lease: a process killed
     *             a moment ago holds a lease that expires shortly in stores that use leases with a lifetime
     */
    public Checkpoints(CheckpointStore store, String pipeline, java.time.Duration wait) {
        this(store, pipeline, wait, false);
    }

    /**
     * @param inSink whether the store is the sink's own ({@code Sink.checkpointStore()}): only then do batches
     *               carry their checkpoint for the sink to write with the rows
     */
    public Checkpoints(CheckpointStore store, String pipeline, java.time.Duration wait, boolean inSink) {
        this.store = store;
        this.pipeline = pipeline;
        this.wait = wait;
        this.inSink = inSink;
        this.root = null;
        this.prefix = "";
    }

    private Checkpoints(Checkpoints root, String prefix) {
        this.store = root.store;
        this.pipeline = root.pipeline;
        this.wait = root.wait;
        this.inSink = false;
        this.root = root;
        this.prefix = prefix;
    }

    /**
     * A view whose keys all start with {@code prefix}, under the same lease (e.g. the checkpoints of one sink's
     * snapshot on its own, beside the pipeline's).
     */
    public Checkpoints prefixed(String prefix) {
        return new Checkpoints(root == null ? this : root, this.prefix + prefix);
    }

    /** The raw text under a key of this view; for engine records that are not table positions. */
    public Optional<String> loadText(String key) {
        return store.load(pipeline, prefix + key);
    }

    /** Saves raw text under a key of this view. */
    public void saveText(String key, String text) {
        store.save(lease(), prefix + key, text);
    }

    /** The store. */
    public CheckpointStore store() {
        return store;
    }

    /** Takes the pipeline's lease unless held already; a {@link dev.dbsync.spi.LeaseException} names the holder. */
    public synchronized void acquire() {
        if (root != null) {
            root.acquire();
            return;
        }
        if (lease != null) {
            return;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                lease = store.acquire(pipeline, holder());
                return;
            } catch (dev.dbsync.spi.LeaseException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Gives the lease back; idempotent. */
    public synchronized void release() {
        if (root != null) {
            root.release();
            return;
        }
        if (lease != null) {
            Lease l = lease;
            lease = null;
            store.release(l);
        }
    }

    /** This process, for lease messages: {@code host:pid}. */
    static String holder() {
        String name = ManagementFactory.getRuntimeMXBean().getName();
        int at = name.indexOf('@');
        String host = at >= 0 ? name.substring(at + 1) : "localhost";
        return host + ":" + ProcessHandle.current().pid();
    }

    /** The current lease; fails when none is held. */
    public Lease lease() {
        if (root != null) {
            return root.lease();
        }
        Lease l = lease;
        if (l == null) {
            throw new SyncException(ErrorType.INTERNAL, "pipeline " + pipeline + ": no lease held");
        }
        return l;
    }

    public Optional<Checkpoint> load(String key) {
        Optional<String> text = store.load(pipeline, prefix + key);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Checkpoint.decode(text.get()));
        } catch (IllegalArgumentException e) {
            throw new SyncException(ErrorType.EXTERNAL, "pipeline " + pipeline + ": the checkpoint of '" + key
                    + "' is corrupt: " + e.getMessage(), e);
        }
    }

    public void save(String key, Checkpoint checkpoint) {
        store.save(lease(), prefix + key, checkpoint.encode());
    }

    public void clear(String key) {
        store.clear(lease(), prefix + key);
    }

    /** The form a sink keeping checkpoints in the target writes with a batch; null when the store is not the sink's. */
    public CheckpointUpdate update(String key, Checkpoint checkpoint) {
        if (!inSink) {
            return null;
        }
        return CheckpointUpdate.of(lease(), prefix + key, checkpoint.encode());
    }
}
