package dev.dbsync.kafka;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.ConfigException;
import java.util.HashMap;
import java.util.Map;

/** The connection settings shared by the Kafka sink, source and checkpoint store, and the client properties built from them. */
final class KafkaSettings {

    static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    static final String SECURITY_PROTOCOL = "security.protocol";
    static final String SASL_MECHANISM = "sasl.mechanism";
    static final String SASL_JAAS_CONFIG = "sasl.jaas.config";
    static final String SSL_TRUSTSTORE_LOCATION = "ssl.truststore.location";
    static final String SSL_TRUSTSTORE_PASSWORD = "ssl.truststore.password";
    static final String CLIENT_PROPERTIES = "client.properties";

    /** Keys the client properties must not override: dbsync sets them for its guarantees. */
    private static final java.util.Set<String> RESERVED = java.util.Set.of("key.serializer", "value.serializer",
            "key.deserializer", "value.deserializer", "enable.idempotence", "transactional.id", "isolation.level",
            "enable.auto.commit", "group.id", "acks");

    static final ConfigDef CONNECTION = ConfigDef.builder()
            .required(BOOTSTRAP_SERVERS, ConfigType.STRING, Validator.nonBlank(), "host:port pairs of Kafka brokers, comma-separated")
            .optional(SECURITY_PROTOCOL, ConfigType.STRING, "PLAINTEXT", Validator.oneOf("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
                    "Kafka security.protocol")
            .optional(SASL_MECHANISM, ConfigType.STRING, null, "Kafka sasl.mechanism (e.g. PLAIN, SCRAM-SHA-512)")
            .secret(SASL_JAAS_CONFIG, null, "Kafka sasl.jaas.config (holds credentials)")
            .optional(SSL_TRUSTSTORE_LOCATION, ConfigType.STRING, null, "Kafka ssl.truststore.location")
            .secret(SSL_TRUSTSTORE_PASSWORD, null, "Kafka ssl.truststore.password")
            .optional(CLIENT_PROPERTIES, ConfigType.LIST, "",
                    "further Kafka client properties as key=value items (e.g. linger.ms=20, compression.type=lz4)")
            .build();

    private KafkaSettings() {
    }

    /** The common client properties of a config built on {@link #CONNECTION}. */
    static Map<String, Object> clientProperties(Config config) {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", config.getString(BOOTSTRAP_SERVERS));
        p.put("security.protocol", config.getString(SECURITY_PROTOCOL));
        copy(config, SASL_MECHANISM, p);
        copy(config, SASL_JAAS_CONFIG, p);
        copy(config, SSL_TRUSTSTORE_LOCATION, p);
        copy(config, SSL_TRUSTSTORE_PASSWORD, p);
        for (String item : config.getList(CLIENT_PROPERTIES)) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(CLIENT_PROPERTIES, "expected key=value items, got '" + item + "'");
            }
            String k = item.substring(0, eq).trim();
            if (RESERVED.contains(k)) {
                throw new ConfigException(CLIENT_PROPERTIES, "'" + k + "' is set by dbsync and cannot be overridden");
            }
            p.put(k, item.substring(eq + 1).trim());
        }
        return p;
    }

    /**
     * Producer settings for change events unless client.properties chose otherwise: records with Connect schemas
     * repeat the same few kilobytes of schema, which compression takes away; large batches carry them.
     */
    static void producerDefaults(Map<String, Object> p) {
        p.putIfAbsent("compression.type", "lz4");
        p.putIfAbsent("linger.ms", "5");
        p.putIfAbsent("batch.size", "262144");
    }

    private static void copy(Config config, String key, Map<String, Object> to) {
        if (config.has(key) && config.get(key) != null) {
            to.put(key, config.get(key));
        }
    }
}
