package dev.dbsync.clickhouse;

import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.testkit.CheckpointStoreContractTest;
import java.time.Duration;

/**
 * The checkpoint-store contract against the test kit's ClickHouse, through the factory as users create it. A dead
 * holder's lease expires after {@code lease.ttl}, set short here.
 */
class ClickHouseCheckpointStoreContractIT extends CheckpointStoreContractTest {

    @Override
    protected CheckpointStore newStore() {
        return Connectors.load().createCheckpointStore("clickhouse",
                ClickHouseTestSupport.config(ClickHouseSettings.CHECKPOINT_TABLE, "sync_control_contract",
                        ClickHouseSettings.LEASE_TTL, "2s"));
    }

    @Override
    protected Duration deadHolderTimeout() {
        return Duration.ofSeconds(10);
    }
}
