package dev.dbsync.testkit;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.spi.CheckpointStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The built-in file store passes the checkpoint-store contract. */
class FileCheckpointStoreContractTest extends CheckpointStoreContractTest {

    @TempDir
    Path dir;

    @Override
    protected CheckpointStore newStore() {
        return CheckpointStores.file(dir);
    }
}
