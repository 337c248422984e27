package dev.dbsync.neo4j;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;

/**
 * Reads nodes of a label, name {@code neo4j}: full snapshots by key and incremental reads by a cursor property.
 * No change data capture: Neo4j's change feed is an Enterprise Edition feature. Settings: {@link Neo4jSettings#SOURCE}.
 */
public final class Neo4jSourceFactory implements SourceFactory {

    @Override
    public String name() {
        return "neo4j";
    }

    @Override
    public String description() {
        return "Neo4j: nodes of a label, full by key or incremental by a date-time property (no CDC)";
    }

    @Override
    public ConfigDef configDef() {
        return Neo4jSettings.SOURCE;
    }

    @Override
    public Source create(Config config) {
        return new Neo4jSource(Neo4jConnection.open(config), config.getDuration(Neo4jSettings.INCREMENTAL_LAG),
                config.getBoolean(Neo4jSettings.ALLOW_UNSAFE_CURSOR), config.getInt(Neo4jSettings.SAMPLE_SIZE));
    }
}
