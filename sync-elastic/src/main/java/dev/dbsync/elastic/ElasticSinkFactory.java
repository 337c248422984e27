package dev.dbsync.elastic;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;

/**
 * The Elasticsearch sink, named {@code elasticsearch}: bulk index and delete by document id (the key), external
 * versions so an older replay never overwrites a newer change, indexes created with explicit mappings from the
 * schema, per-item errors sent to the dead-letter handler. Settings: {@link ElasticSettings#SINK}.
 */
public final class ElasticSinkFactory implements SinkFactory {

    @Override
    public String name() {
        return "elasticsearch";
    }

    @Override
    public String description() {
        return "Elasticsearch 8.x (9.x through REST compatibility): versioned bulk index and delete, mappings from the schema";
    }

    @Override
    public ConfigDef configDef() {
        return ElasticSettings.SINK;
    }

    @Override
    public Sink create(Config config) {
        return new ElasticSink(ElasticSettings.of(config));
    }
}
