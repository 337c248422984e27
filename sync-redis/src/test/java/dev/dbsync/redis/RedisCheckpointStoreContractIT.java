package dev.dbsync.redis;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.testkit.CheckpointStoreContractTest;
import java.time.Duration;

/** The checkpoint-store contract for the {@code redis} store, with a 2 s lease. */
class RedisCheckpointStoreContractIT extends CheckpointStoreContractTest {

    private final String prefix = Fixtures.uniquePrefix("cpct");

    @Override
    protected CheckpointStore newStore() {
        return Fixtures.store(prefix, "2s");
    }

    /** A killed process stops renewing its lease and never releases it. */
    @Override
    protected void simulateDeath(CheckpointStore store) {
        ((RedisCheckpointStore) store).abandon();
        store.close();
    }

    /** The lease TTL (2 s) plus slack. */
    @Override
    protected Duration deadHolderTimeout() {
        return Duration.ofSeconds(4);
    }
}
