package dev.dbsync.kafka;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.testkit.CheckpointStoreContractTest;
import java.time.Duration;
import java.util.Map;

/** The shared checkpoint-store contract on the {@code kafka} store (a compacted topic of a real broker). */
class KafkaCheckpointStoreContractIT extends CheckpointStoreContractTest {

    private final KafkaTestCluster kafka = KafkaTestCluster.get();

    @Override
    protected CheckpointStore newStore() {
        KafkaCheckpointStoreFactory f = new KafkaCheckpointStoreFactory();
        return f.create(f.configDef().parse(Map.of("bootstrap.servers", kafka.bootstrap(), "checkpoint.topic", "contract_checkpoints",
                "lease.ttl", "2s")));
    }

    @Override
    protected Duration deadHolderTimeout() {
        return Duration.ofSeconds(5);
    }
}
