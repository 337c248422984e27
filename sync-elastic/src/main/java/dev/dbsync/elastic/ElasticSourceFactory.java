package dev.dbsync.elastic;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;

/**
 * The Elasticsearch source, named {@code elasticsearch}: full reads with a point in time and {@code search_after}
 * on the key, incremental reads by a date cursor up to a safe bound behind the refresh interval. Settings:
 * {@link ElasticSettings#SOURCE}.
 */
public final class ElasticSourceFactory implements SourceFactory {

    @Override
    public String name() {
        return "elasticsearch";
    }

    @Override
    public String description() {
        return "Elasticsearch indexes as tables: point-in-time full reads and cursor-range incremental reads";
    }

    @Override
    public ConfigDef configDef() {
        return ElasticSettings.SOURCE;
    }

    @Override
    public Source create(Config config) {
        return new ElasticSource(ElasticSettings.of(config));
    }
}
