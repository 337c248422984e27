package dev.dbsync.testkit;

import dev.dbsync.internal.MemoryCheckpointStore;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The built-in memory store passes the checkpoint-store contract: one instance stands for the storage, each
 * view for a process; a view's death expires the leases it took.
 */
class MemoryCheckpointStoreContractTest extends CheckpointStoreContractTest {

    private final MemoryCheckpointStore store = new MemoryCheckpointStore();

    private final class View implements CheckpointStore {
        final List<Lease> leases = new ArrayList<>();

        @Override
        public Lease acquire(String pipeline, String holder) {
            Lease l = store.acquire(pipeline, holder);
            leases.add(l);
            return l;
        }

        @Override
        public Optional<String> load(String pipeline, String key) {
            return store.load(pipeline, key);
        }

        @Override
        public void save(Lease lease, String key, String text) {
            store.save(lease, key, text);
        }

        @Override
        public void clear(Lease lease, String key) {
            store.clear(lease, key);
        }

        @Override
        public void release(Lease lease) {
            store.release(lease);
        }
    }

    @Override
    protected CheckpointStore newStore() {
        return new View();
    }

    @Override
    protected void simulateDeath(CheckpointStore view) {
        for (Lease l : ((View) view).leases) {
            store.expire(l.pipeline());
        }
    }
}
