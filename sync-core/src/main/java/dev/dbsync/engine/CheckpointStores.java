package dev.dbsync.engine;

import dev.dbsync.internal.FileCheckpointStore;
import dev.dbsync.internal.MemoryCheckpointStore;
import dev.dbsync.spi.CheckpointStore;
import java.nio.file.Path;

/** The built-in checkpoint stores. */
public final class CheckpointStores {

    private CheckpointStores() {
    }

    /** One file per pipeline and table under {@code dir}, replaced by atomic rename. */
    public static CheckpointStore file(Path dir) {
        return new FileCheckpointStore(dir);
    }

    /** In memory, lost when the process ends. */
    public static CheckpointStore memory() {
        return new MemoryCheckpointStore();
    }
}
