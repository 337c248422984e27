package dev.dbsync.clickhouse;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointStoreFactory;

/**
 * Checkpoints in a ClickHouse table (default {@code sync_control}), named {@code clickhouse}, so a loader run
 * from cron resumes where it stopped. Settings: {@link ClickHouseSettings}.
 */
public final class ClickHouseCheckpointStoreFactory implements CheckpointStoreFactory {

    @Override
    public String name() {
        return "clickhouse";
    }

    @Override
    public String description() {
        return "ClickHouse: checkpoints in a ReplacingMergeTree table (sync_control)";
    }

    @Override
    public ConfigDef configDef() {
        return ClickHouseSettings.CHECKPOINT_STORE;
    }

    @Override
    public CheckpointStore create(Config config) {
        ClickHouseSettings s = ClickHouseSettings.of(config);
        return new ClickHouseCheckpointStore(new ChConnection(s), s.checkpointTable, true);
    }
}
