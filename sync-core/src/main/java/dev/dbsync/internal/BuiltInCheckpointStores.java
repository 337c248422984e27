package dev.dbsync.internal;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointStoreFactory;
import java.nio.file.Path;

/** The checkpoint stores that come with the core. */
public final class BuiltInCheckpointStores {

    private BuiltInCheckpointStores() {
    }

    /** {@code file}: one file per table under a directory, replaced atomically. */
    public static final class FileFactory implements CheckpointStoreFactory {
        private static final ConfigDef DEF = ConfigDef.builder()
                .optional("dir", ConfigType.STRING, "dbsync-checkpoints", Validator.nonBlank(),
                        "directory that holds the checkpoint files")
                .build();

        @Override
        public String name() {
            return "file";
        }

        @Override
        public String description() {
            return "checkpoints in local files, written then renamed atomically";
        }

        @Override
        public ConfigDef configDef() {
            return DEF;
        }

        @Override
        public CheckpointStore create(Config config) {
            return new FileCheckpointStore(Path.of(config.getString("dir")));
        }
    }

    /** {@code memory}: lost when the process ends. */
    public static final class MemoryFactory implements CheckpointStoreFactory {
        @Override
        public String name() {
            return "memory";
        }

        @Override
        public String description() {
            return "checkpoints in memory (lost when the process ends)";
        }

        @Override
        public ConfigDef configDef() {
            return ConfigDef.empty();
        }

        @Override
        public CheckpointStore create(Config config) {
            return new MemoryCheckpointStore();
        }
    }
}
