package dev.dbsync.cli;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.testkit.memory.MemorySink;

/**
 * A third-party sink as the command line sees one: found on the class path through ServiceLoader, a sink without
 * a source connector of its name, with one required setting. It keeps rows in memory.
 */
public final class PluginSinkFactory implements SinkFactory {

    private static final ConfigDef CONFIG = ConfigDef.builder()
            .required("dir", ConfigType.STRING, Validator.nonBlank(), "directory of the table files (test plugin)")
            .build();

    @Override
    public String name() {
        return "test-files";
    }

    @Override
    public String description() {
        return "Test plugin: a sink from another jar";
    }

    @Override
    public ConfigDef configDef() {
        return CONFIG;
    }

    @Override
    public Sink create(Config config) {
        return new MemorySink();
    }
}
