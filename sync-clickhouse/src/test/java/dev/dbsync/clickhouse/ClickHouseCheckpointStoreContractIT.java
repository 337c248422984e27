package dev.dbsync.clickhouse;

import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.testkit.CheckpointStoreContractTest;

/** The checkpoint-store contract against the test kit's ClickHouse, through the factory as users create it. */
class ClickHouseCheckpointStoreContractIT extends CheckpointStoreContractTest {

    @Override
    protected CheckpointStore newStore() {
        return Connectors.load().createCheckpointStore("clickhouse",
                ClickHouseTestSupport.config(ClickHouseSettings.CHECKPOINT_TABLE, "sync_control_contract"));
    }
}
