package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigKey;
import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.ConfigException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ServiceLoader discovery of the three factories, the config defaults and the full key mapping. */
class TestClickHousePlugin {

    @Test
    void factoriesAreDiscoveredByName() {
        Connectors c = Connectors.load();
        assertInstanceOf(ClickHouseSinkFactory.class, c.sink("clickhouse"));
        assertInstanceOf(ClickHouseSourceFactory.class, c.source("clickhouse"));
        assertInstanceOf(ClickHouseCheckpointStoreFactory.class, c.checkpointStore("clickhouse"));
    }

    @Test
    void defaults() {
        Config config = new ClickHouseSinkFactory().configDef().parse(Map.of("url", "http://ch:8123"));
        ClickHouseSettings s = ClickHouseSettings.of(config);
        assertEquals("default", s.user);
        assertEquals("", s.password);
        assertEquals("default", s.database);
        assertEquals(100_000, s.batchRows);
        assertTrue(s.compress);
        assertEquals(Duration.ofMinutes(5), s.socketTimeout);
        assertEquals("sync_control", s.checkpointTable);
        assertEquals(null, s.engine);
        assertEquals(null, s.onCluster);
        assertEquals(Map.of(), s.partitionBy);
        assertEquals(Map.of(), s.orderBy);
        assertEquals(List.of(), s.lowCardinality);
        assertFalse(s.jsonType);
        assertFalse(s.createView);
    }

    @Test
    void everyKeyMapsToItsSetting() {
        Map<String, Object> raw = new HashMap<>();
        raw.put("url", "https://ch.example.com:8443");
        raw.put("user", "loader");
        raw.put("password", "s3cret");
        raw.put("database", "analytics");
        raw.put("compression", "none");
        raw.put("socket.timeout", "30s");
        raw.put("checkpoint.table", "ctl");
        raw.put("batch.rows", "5000");
        raw.put("engine", "ReplicatedReplacingMergeTree('/t/{shard}/{table}', '{replica}', _version, _is_deleted)");
        raw.put("on.cluster", "c1");
        raw.put("partition.by", "activity_logs:toYYYYMM(created_at)");
        raw.put("order.by", "activity_logs:(created_at, id)");
        raw.put("low.cardinality", "status, orders.country");
        raw.put("json.type", "JSON");
        raw.put("create.view", "true");
        Config config = new ClickHouseSinkFactory().configDef().parse(raw);
        ClickHouseSettings s = ClickHouseSettings.of(config);
        assertEquals("https://ch.example.com:8443", s.url);
        assertEquals("loader", s.user);
        assertEquals("s3cret", s.password);
        assertEquals("analytics", s.database);
        assertFalse(s.compress);
        assertEquals(Duration.ofSeconds(30), s.socketTimeout);
        assertEquals("ctl", s.checkpointTable);
        assertEquals(5000, s.batchRows);
        assertTrue(s.engine.startsWith("ReplicatedReplacingMergeTree("));
        assertEquals("c1", s.onCluster);
        assertEquals(Map.of("activity_logs", "toYYYYMM(created_at)"), s.partitionBy);
        assertEquals(Map.of("activity_logs", "(created_at, id)"), s.orderBy);
        assertTrue(s.lowCardinality("any", "status"));
        assertTrue(s.lowCardinality("orders", "country"));
        assertFalse(s.lowCardinality("users", "country"));
        assertTrue(s.jsonType);
        assertTrue(s.createView);
        assertFalse(config.toString().contains("s3cret"), config.toString());
        ConfigKey pw = new ClickHouseSinkFactory().configDef().key("password");
        assertTrue(pw.secret());
    }

    @Test
    void badValuesAreRefusedNamingTheKey() {
        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of("url", "jdbc:clickhouse://x"),
                Map.of("url", "http://x:8123", "batch.rows", "0"),
                Map.of("url", "http://x:8123", "json.type", "Object"),
                Map.of("url", "http://x:8123", "compression", "gzip"),
                Map.of("url", "http://x:8123", "nope", "1"))) {
            ConfigException e = assertThrows(ConfigException.class, () -> new ClickHouseSinkFactory().configDef().parse(bad));
            assertTrue(e.key() != null && bad.containsKey(e.key()), e.getMessage());
        }
        assertEquals(List.of("url", "user", "password", "database", "compression", "socket.timeout", "final", "incremental.lag"),
                new ClickHouseSourceFactory().configDef().keys().stream().map(ConfigKey::name).toList());
        assertEquals(List.of("url", "user", "password", "database", "compression", "socket.timeout", "checkpoint.table", "lease.ttl"),
                new ClickHouseCheckpointStoreFactory().configDef().keys().stream().map(ConfigKey::name).toList());
    }
}
