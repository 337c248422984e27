package dev.dbsync.postgres;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.testkit.CheckpointStoreContractTest;

/** The shared checkpoint-store contract for checkpoints kept in a PostgreSQL target. */
class PgCheckpointStoreContractIT extends CheckpointStoreContractTest {

    private static final PgTestDb DB = PgTestDb.create("cpcontract");

    @Override
    protected CheckpointStore newStore() {
        return new PostgresSink(DB.factory(), "public", true, "dbsync_checkpoint").checkpointStore().orElseThrow();
    }
}
