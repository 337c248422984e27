package dev.dbsync.elastic;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointStoreFactory;

/**
 * Checkpoints in an Elasticsearch index, named {@code elasticsearch}: pipeline leases taken and renewed with
 * optimistic concurrency, a killed holder's lease free after {@code lease.ttl}. Settings: {@link ElasticSettings#STORE}.
 */
public final class ElasticCheckpointStoreFactory implements CheckpointStoreFactory {

    @Override
    public String name() {
        return "elasticsearch";
    }

    @Override
    public String description() {
        return "checkpoints and fenced pipeline leases in an Elasticsearch index";
    }

    @Override
    public ConfigDef configDef() {
        return ElasticSettings.STORE;
    }

    @Override
    public CheckpointStore create(Config config) {
        ElasticSettings s = ElasticSettings.of(config);
        return new ElasticCheckpointStore(s, new ElasticConnection(s), true);
    }
}
