package dev.dbsync.testkit;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.spi.CheckpointStore;

/** The built-in memory store passes the checkpoint-store contract (one instance stands for the storage). */
class MemoryCheckpointStoreContractTest extends CheckpointStoreContractTest {

    private final CheckpointStore store = CheckpointStores.memory();

    @Override
    protected CheckpointStore newStore() {
        return new CheckpointStore() {
            @Override
            public java.util.Optional<dev.dbsync.spi.Checkpoint> load(String pipeline, String table) {
                return store.load(pipeline, table);
            }

            @Override
            public void save(String pipeline, String table, dev.dbsync.spi.Checkpoint checkpoint) {
                store.save(pipeline, table, checkpoint);
            }

            @Override
            public void clear(String pipeline, String table) {
                store.clear(pipeline, table);
            }
        };
    }
}
