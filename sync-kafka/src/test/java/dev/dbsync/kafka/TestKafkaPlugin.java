package dev.dbsync.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.config.Config;
import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.ConfigException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The three {@code kafka} factories are found by name, and their settings are checked before anything connects. */
class TestKafkaPlugin {

    @Test
    void factoriesAreDiscovered() {
        Connectors c = Connectors.load();
        assertEquals(KafkaSinkFactory.class, c.sink("kafka").getClass());
        assertEquals(KafkaSourceFactory.class, c.source("kafka").getClass());
        assertEquals(KafkaCheckpointStoreFactory.class, c.checkpointStore("kafka").getClass());
    }

    @Test
    void defaultsAndSecrets() {
        KafkaSinkFactory f = new KafkaSinkFactory();
        Config cfg = f.configDef().parse(Map.of("bootstrap.servers", "b:9092", "sasl.jaas.config", "user=\"u\" password=\"pw-123\""));
        assertEquals("dbsync", cfg.getString("topic.prefix"));
        assertEquals("public", cfg.getString("topic.schema"));
        assertEquals(true, cfg.getBoolean("transactions"));
        assertEquals("precise", cfg.getString("decimal.handling"));
        assertEquals("dbsync_checkpoints", cfg.getString("checkpoint.topic"));
        assertFalse(cfg.toString().contains("pw-123"), "secrets are masked: " + cfg);
        assertTrue(cfg.secretKeys().contains("sasl.jaas.config"));
    }

    @Test
    void badSettingsNameTheirKey() {
        KafkaSinkFactory f = new KafkaSinkFactory();
        ConfigException missing = assertThrows(ConfigException.class, () -> f.configDef().parse(Map.of()));
        assertEquals("bootstrap.servers", missing.key());
        ConfigException mode = assertThrows(ConfigException.class,
                () -> f.configDef().parse(Map.of("bootstrap.servers", "b:1", "decimal.handling", "float")));
        assertEquals("decimal.handling", mode.key());
        Map<String, Object> reserved = new HashMap<>(Map.of("bootstrap.servers", "b:1", "client.properties", "linger.ms=10,enable.idempotence=false"));
        ConfigException r = assertThrows(ConfigException.class, () -> KafkaSettings.clientProperties(f.configDef().parse(reserved)));
        assertEquals("client.properties", r.key());
        assertTrue(r.getMessage().contains("enable.idempotence"), r.getMessage());
        Map<String, Object> props = KafkaSettings.clientProperties(f.configDef().parse(Map.of("bootstrap.servers", "b:1",
                "client.properties", "linger.ms=10")));
        assertEquals("10", props.get("linger.ms"));
        ConfigException ttl = assertThrows(ConfigException.class, () -> new KafkaCheckpointStoreFactory().configDef()
                .parse(Map.of("bootstrap.servers", "b:1", "lease.ttl", "10ms")));
        assertEquals("lease.ttl", ttl.key());
    }
}
