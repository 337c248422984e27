package dev.dbsync.neo4j;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointStoreFactory;

/**
 * Checkpoints kept in Neo4j, name {@code neo4j}: one node per pipeline and key, fenced by a lease node with a
 * short TTL the holder renews (a killed process blocks a restart for at most {@code lease.ttl}).
 * Settings: {@link Neo4jSettings#STORE}.
 */
public final class Neo4jCheckpointStoreFactory implements CheckpointStoreFactory {

    @Override
    public String name() {
        return "neo4j";
    }

    @Override
    public String description() {
        return "Neo4j: checkpoints as nodes, fenced by a renewed lease node";
    }

    @Override
    public ConfigDef configDef() {
        return Neo4jSettings.STORE;
    }

    @Override
    public CheckpointStore create(Config config) {
        return new Neo4jCheckpointStore(Neo4jConnection.open(config), config.getDuration(Neo4jSettings.LEASE_TTL), true);
    }
}
