package dev.dbsync.redis;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointStoreFactory;

/**
 * Creates the Redis checkpoint store, name {@code redis}, usable by any pipeline: checkpoints in a hash per
 * pipeline under {@code <key.prefix>:~dbsync:cp:}, fenced by a lease that expires {@code lease.ttl} after its holder
 * stopped renewing it (so a killed process blocks a restart for at most that long).
 */
public final class RedisCheckpointStoreFactory implements CheckpointStoreFactory {

    static final String LEASE_TTL = "lease.ttl";

    private static final ConfigDef DEF = ConfigDef.builder()
            .include(RedisConnection.CONNECTION)
            .optional(LEASE_TTL, ConfigType.DURATION, "5s",
                    "lease time to live, renewed every third of it while held: how long a killed holder blocks a restart")
            .build();

    /** Needed by {@link java.util.ServiceLoader}. */
    public RedisCheckpointStoreFactory() {
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public String description() {
        return "Redis: checkpoints in a hash per pipeline, fenced leases with a TTL";
    }

    @Override
    public ConfigDef configDef() {
        return DEF;
    }

    @Override
    public CheckpointStore create(Config config) {
        RedisConnection conn = RedisConnection.open(config, 4);
        return new RedisCheckpointStore(conn, true, config.getDuration(LEASE_TTL));
    }
}
