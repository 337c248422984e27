package dev.dbsync.mongo;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointStoreFactory;

/**
 * Checkpoints kept in MongoDB, name {@code mongo}: a lease document per pipeline (short TTL renewed while held, so
 * a killed process blocks a restart for at most {@code lease.ttl}) and a checkpoint document per key, fenced by
 * the lease's holder and token. Settings: {@link MongoSettings#checkpoints()}.
 */
public final class MongoCheckpointStoreFactory implements CheckpointStoreFactory {

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public MongoCheckpointStoreFactory() {
    }

    @Override
    public String name() {
        return "mongo";
    }

    @Override
    public String description() {
        return "checkpoints in MongoDB collections, fenced by a renewed lease";
    }

    @Override
    public ConfigDef configDef() {
        return MongoSettings.checkpoints();
    }

    @Override
    public CheckpointStore create(Config config) {
        return new MongoCheckpointStore(config);
    }
}
