package dev.dbsync.redis;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;

/**
 * Creates the Redis source, name {@code redis}: reads tables the Redis sink wrote (it needs their stored schema),
 * fully by SCAN, incrementally from the change index the sink keeps with {@code change.index: true}. Keys that other programs write are seen by
 * full snapshots only.
 */
public final class RedisSourceFactory implements SourceFactory {

    static final String SCAN_COUNT = "scan.count";

    private static final ConfigDef DEF = ConfigDef.builder()
            .include(RedisConnection.CONNECTION)
            .optional(SCAN_COUNT, ConfigType.INT, "1000", Validator.range(10, 100_000), "COUNT hint of each SCAN step")
            .build();

    /** Needed by {@link java.util.ServiceLoader}. */
    public RedisSourceFactory() {
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public String description() {
        return "Redis: tables written by the redis sink, full by SCAN, incremental from the sink's change index";
    }

    @Override
    public ConfigDef configDef() {
        return DEF;
    }

    @Override
    public Source create(Config config) {
        return new RedisSource(RedisConnection.open(config, 8), config.getInt(SCAN_COUNT));
    }
}
