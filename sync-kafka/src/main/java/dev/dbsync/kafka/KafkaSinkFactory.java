package dev.dbsync.kafka;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code kafka} sink: Debezium-compatible change events on {@code <topic.prefix>.<schema>.<table>} topics.
 * Settings (besides the connection settings {@code bootstrap.servers}, {@code security.protocol},
 * {@code sasl.mechanism}, {@code sasl.jaas.config} (secret), {@code ssl.truststore.location},
 * {@code ssl.truststore.password} (secret), {@code client.properties}):
 * <ul>
 *   <li>{@code topic.prefix} (default {@code dbsync}): the first part of every topic name, Debezium's logical
 *       server name;</li>
 *   <li>{@code topic.schema} (default {@code public}): the schema part for target names without one;</li>
 *   <li>{@code transactions} (default true): batches and their checkpoints in Kafka transactions;</li>
 *   <li>{@code transactional.id.prefix} (default {@code dbsync-}): prefix of the producers' transactional ids;</li>
 *   <li>{@code decimal.handling} ({@code precise}, {@code string} or {@code double}; default {@code precise});</li>
 *   <li>{@code envelope.schemas} (default true): records carry Connect JSON schemas;</li>
 *   <li>{@code tombstones} (default true): a null-valued record after each delete;</li>
 *   <li>{@code topic.partitions}, {@code topic.replication.factor}, {@code topic.auto.create}: for new topics;</li>
 *   <li>{@code checkpoint.topic}, {@code lease.ttl}: the checkpoint store the sink offers.</li>
 * </ul>
 */
public final class KafkaSinkFactory implements SinkFactory {

    public static final String NAME = "kafka";

    static final String TOPIC_PREFIX = "topic.prefix";
    static final String TOPIC_SCHEMA = "topic.schema";
    static final String TRANSACTIONS = "transactions";
    static final String TXN_PREFIX = "transactional.id.prefix";
    static final String DECIMAL_HANDLING = "decimal.handling";
    static final String SCHEMAS = "envelope.schemas";
    static final String TOMBSTONES = "tombstones";
    static final String PARTITIONS = "topic.partitions";
    static final String REPLICATION = "topic.replication.factor";
    static final String AUTO_CREATE = "topic.auto.create";

    private static final ConfigDef DEF = ConfigDef.builder()
            .include(KafkaSettings.CONNECTION)
            .optional(TOPIC_PREFIX, ConfigType.STRING, "dbsync", Validator.matches("[a-zA-Z0-9._-]*", "letters, digits, '.', '_' or '-'"),
                    "first part of every topic name (Debezium's topic.prefix)")
            .optional(TOPIC_SCHEMA, ConfigType.STRING, "public", Validator.matches("[a-zA-Z0-9._-]*", "letters, digits, '.', '_' or '-'"),
                    "schema part of topic names for target tables named without a schema; empty = none")
            .optional(TRANSACTIONS, ConfigType.BOOLEAN, "true",
                    "write each batch with its checkpoint in a Kafka transaction (exactly-once into Kafka for read_committed consumers)")
            .optional(TXN_PREFIX, ConfigType.STRING, "dbsync-", Validator.nonBlank(), "prefix of the transactional.id of the producers")
            .optional(DECIMAL_HANDLING, ConfigType.STRING, "precise", Validator.oneOf("precise", "string", "double"),
                    "DECIMAL values as Connect Decimal bytes (precise), plain text (string) or JSON doubles (double, lossy)")
            .optional(SCHEMAS, ConfigType.BOOLEAN, "true", "wrap keys and values as {schema, payload} (JsonConverter schemas.enable=true)")
            .optional(TOMBSTONES, ConfigType.BOOLEAN, "true", "send a tombstone (null value) after each delete event")
            .optional(PARTITIONS, ConfigType.INT, "1", Validator.range(1, 100_000), "partitions of topics the sink creates")
            .optional(REPLICATION, ConfigType.INT, "-1", Validator.range(-1, 32), "replication factor of topics the sink creates (-1 = broker default)")
            .optional(AUTO_CREATE, ConfigType.BOOLEAN, "true", "create missing topics")
            .include(KafkaCheckpointStoreFactory.STORE_KEYS)
            .build();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Kafka topics of Debezium-compatible change events";
    }

    @Override
    public ConfigDef configDef() {
        return DEF;
    }

    @Override
    public Sink create(Config config) {
        Map<String, Object> props = KafkaSettings.clientProperties(config);
        boolean transactions = config.getBoolean(TRANSACTIONS);
        String txnPrefix = config.getString(TXN_PREFIX);
        short replication = config.getInt(REPLICATION).shortValue();
        KafkaCheckpointStore store = transactions
                ? new KafkaCheckpointStore(props, config.getString(KafkaCheckpointStoreFactory.TOPIC), replication,
                        config.getDuration(KafkaCheckpointStoreFactory.LEASE_TTL), txnPrefix)
                : null;
        return new KafkaSink(props, config.getString(TOPIC_PREFIX), config.getString(TOPIC_SCHEMA),
                DecimalHandling.valueOf(config.getString(DECIMAL_HANDLING).toUpperCase(Locale.ROOT)), config.getBoolean(SCHEMAS),
                config.getBoolean(TOMBSTONES), transactions, config.getInt(PARTITIONS), replication, config.getBoolean(AUTO_CREATE),
                store, txnPrefix);
    }
}
