package dev.dbsync.elastic;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.testkit.CheckpointStoreContractTest;
import java.time.Duration;
import java.util.Map;

/**
 * The checkpoint-store contract suite against a real Elasticsearch, with a 3 s lease TTL: a killed holder (it stops
 * renewing and never releases) must not keep the pipeline for longer than 5 s.
 */
class ElasticCheckpointStoreContractIT extends CheckpointStoreContractTest {

    @Override
    protected CheckpointStore newStore() {
        return ElasticTesting.store(Map.of("checkpoint.index", "it_checkpoints", "lease.ttl", "3s"));
    }

    @Override
    protected void simulateDeath(CheckpointStore store) {
        ((ElasticCheckpointStore) store).halt();
    }

    @Override
    protected Duration deadHolderTimeout() {
        return Duration.ofSeconds(5);
    }
}
