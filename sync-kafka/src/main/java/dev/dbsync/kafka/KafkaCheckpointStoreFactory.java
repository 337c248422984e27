package dev.dbsync.kafka;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointStoreFactory;
import java.time.Duration;

/**
 * The {@code kafka} checkpoint store: checkpoints on a compacted single-partition topic, leases renewed by the
 * holder and fenced by a transactional producer per pipeline. Settings: the connection settings,
 * {@code checkpoint.topic} (default {@code dbsync_checkpoints}), {@code lease.ttl} (default {@code 5s}: how long
 * a killed holder blocks a restart), {@code transactional.id.prefix} and {@code topic.replication.factor}.
 */
public final class KafkaCheckpointStoreFactory implements CheckpointStoreFactory {

    public static final String NAME = "kafka";

    static final String TOPIC = "checkpoint.topic";
    static final String LEASE_TTL = "lease.ttl";

    /** The store's own keys, shared with the sink (which offers this store). */
    static final ConfigDef STORE_KEYS = ConfigDef.builder()
            .optional(TOPIC, ConfigType.STRING, "dbsync_checkpoints", Validator.matches("[a-zA-Z0-9._-]{1,249}", "a legal topic name"),
                    "compacted topic holding checkpoints and leases")
            .optional(LEASE_TTL, ConfigType.DURATION, "5s", v -> ((Duration) v).toMillis() < 300 ? "must be at least 300ms" : null,
                    "a lease not renewed for this long (its holder died) can be taken by another process")
            .build();

    private static final ConfigDef DEF = ConfigDef.builder()
            .include(KafkaSettings.CONNECTION)
            .include(STORE_KEYS)
            .optional(KafkaSinkFactory.TXN_PREFIX, ConfigType.STRING, "dbsync-", Validator.nonBlank(),
                    "prefix of the transactional.id of the pipelines' producers")
            .optional(KafkaSinkFactory.REPLICATION, ConfigType.INT, "-1", Validator.range(-1, 32),
                    "replication factor of the checkpoint topic when created (-1 = broker default)")
            .build();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "checkpoints on a compacted Kafka topic";
    }

    @Override
    public ConfigDef configDef() {
        return DEF;
    }

    @Override
    public CheckpointStore create(Config config) {
        return new KafkaCheckpointStore(KafkaSettings.clientProperties(config), config.getString(TOPIC),
                config.getInt(KafkaSinkFactory.REPLICATION).shortValue(), config.getDuration(LEASE_TTL),
                config.getString(KafkaSinkFactory.TXN_PREFIX));
    }
}
