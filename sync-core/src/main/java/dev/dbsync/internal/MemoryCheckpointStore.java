package dev.dbsync.internal;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checkpoints in memory: for tests and for pipelines that always start from scratch. Leases are fenced within
 * the JVM: a second engine of the same pipeline over the same store is refused until the first releases.
 */
public final class MemoryCheckpointStore implements CheckpointStore {

    private final Map<String, String> entries = new ConcurrentHashMap<>();
    /** Per pipeline: the current lease (null once released) and the last token handed out. */
    private final Map<String, Lease> current = new HashMap<>();
    private final Map<String, Long> tokens = new HashMap<>();

    @Override
    public synchronized Lease acquire(String pipeline, String holder) {
        Lease held = current.get(pipeline);
        if (held != null) {
            throw new LeaseException("pipeline " + pipeline + " is already running, held by " + held.holder()
                    + "; refusing to start it a second time from " + holder);
        }
        long token = tokens.merge(pipeline, 1L, Long::sum);
        Lease lease = Lease.of(pipeline, holder, token);
        current.put(pipeline, lease);
        return lease;
    }

    /**
     * Forgets the current holder of the pipeline, as the death of its process would (for tests that simulate
     * a crash inside one JVM). Saves under the forgotten lease are refused from then on.
     */
    public synchronized void expire(String pipeline) {
        current.remove(pipeline);
    }

    @Override
    public Optional<String> load(String pipeline, String key) {
        return Optional.ofNullable(entries.get(pipeline + '\u0000' + key));
    }

    @Override
    public synchronized void save(Lease lease, String key, String text) {
        check(lease);
        entries.put(lease.pipeline() + '\u0000' + key, text);
    }

    @Override
    public synchronized void clear(Lease lease, String key) {
        check(lease);
        entries.remove(lease.pipeline() + '\u0000' + key);
    }

    @Override
    public synchronized void release(Lease lease) {
        if (lease.equals(current.get(lease.pipeline()))) {
            current.remove(lease.pipeline());
        }
    }

    private void check(Lease lease) {
        Lease now = current.get(lease.pipeline());
        if (!lease.equals(now)) {
            throw new LeaseException("pipeline " + lease.pipeline() + ": the lease of " + lease.holder() + " (token "
                    + lease.token() + ") is no longer current" + (now == null ? "" : "; held by " + now.holder()
                    + " (token " + now.token() + ")") + "; checkpoint not saved");
        }
    }
}
