package dev.dbsync.neo4j;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;

/**
 * The Neo4j sink, name {@code neo4j}: each table's rows become nodes (label from the table, configurable), its
 * foreign keys relationships, configured join tables relationships with properties. Settings: {@link Neo4jSettings#SINK}.
 */
public final class Neo4jSinkFactory implements SinkFactory {

    @Override
    public String name() {
        return "neo4j";
    }

    @Override
    public String description() {
        return "Neo4j: rows as nodes, foreign keys as relationships, join tables as relationships with properties";
    }

    @Override
    public ConfigDef configDef() {
        return Neo4jSettings.SINK;
    }

    @Override
    public Sink create(Config config) {
        GraphMapping mapping = GraphMapping.of(config); // refuses bad mappings before connecting
        String version = config.getString(Neo4jSettings.VERSION_PROPERTY);
        String placeholder = config.getString(Neo4jSettings.PLACEHOLDER_PROPERTY);
        if (version.equals(placeholder)) {
            throw new dev.dbsync.spi.ConfigException(Neo4jSettings.PLACEHOLDER_PROPERTY, "must differ from "
                    + Neo4jSettings.VERSION_PROPERTY + " ('" + version + "')");
        }
        return new Neo4jSink(Neo4jConnection.open(config), mapping, config.getBoolean(Neo4jSettings.RELATIONSHIPS),
                version, placeholder, config.getBoolean(Neo4jSettings.CHECKPOINT_STORE), config.getDuration(Neo4jSettings.LEASE_TTL));
    }
}
