package dev.dbsync.kafka;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;

/**
 * The {@code kafka} source: topics of Debezium change events (from dbsync's Kafka sink or from Debezium with
 * JSON schemas) read back as tables; positions are partition offsets held in dbsync's checkpoint. Settings: the
 * connection settings, {@code topic.prefix} (default {@code dbsync}) and {@code poll.timeout} (default 1s).
 */
public final class KafkaSourceFactory implements SourceFactory {

    public static final String NAME = "kafka";

    static final String POLL_TIMEOUT = "poll.timeout";

    private static final ConfigDef DEF = ConfigDef.builder()
            .include(KafkaSettings.CONNECTION)
            .optional(KafkaSinkFactory.TOPIC_PREFIX, ConfigType.STRING, "dbsync",
                    Validator.matches("[a-zA-Z0-9._-]*", "letters, digits, '.', '_' or '-'"),
                    "the topic of table s.t is <topic.prefix>.s.t")
            .optional(POLL_TIMEOUT, ConfigType.DURATION, "1s", "longest wait of one poll of the change feed")
            .build();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Kafka topics of Debezium change events";
    }

    @Override
    public ConfigDef configDef() {
        return DEF;
    }

    @Override
    public Source create(Config config) {
        return new KafkaSource(KafkaSettings.clientProperties(config), config.getString(KafkaSinkFactory.TOPIC_PREFIX),
                config.getDuration(POLL_TIMEOUT));
    }
}
