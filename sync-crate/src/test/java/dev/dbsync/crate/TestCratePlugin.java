package dev.dbsync.crate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigKey;
import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.SourceFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TestCratePlugin {

    @Test
    void bothFactoriesAreDiscoveredByName() {
        Connectors connectors = Connectors.load();
        SinkFactory sink = connectors.sink("crate");
        SourceFactory source = connectors.source("crate");
        assertInstanceOf(CrateSinkFactory.class, sink);
        assertInstanceOf(CrateSourceFactory.class, source);
        assertFalse(sink.description().isBlank());
        assertFalse(source.description().isBlank());
    }

    @Test
    void declaredKeys() {
        assertEquals(List.of("url", "user", "password", "schema", "shards", "replicas", "partition.by",
                "refresh.after.flush", "refresh.interval", "batch.size", "decimal.mapping", "object.policy"), names(new CrateSinkFactory()
                .configDef().keys()));
        assertEquals(List.of("url", "user", "password", "schema", "refresh.before.read", "incremental.lag",
                "incremental.allow.unsafe.cursor"),
                names(new CrateSourceFactory().configDef().keys()));
        assertTrue(new CrateSinkFactory().configDef().key("password").secret());
        assertTrue(new CrateSourceFactory().configDef().key("password").secret());
        assertTrue(new CrateSinkFactory().configDef().key("url").required());
    }

    private static List<String> names(Iterable<ConfigKey> keys) {
        List<String> out = new ArrayList<>();
        keys.forEach(k -> out.add(k.name()));
        return out;
    }

    @Test
    void defaults() {
        Config c = new CrateSinkFactory().configDef().parse(Map.of("url", "crate://db.example"));
        CrateSettings s = CrateSettings.of(c);
        assertEquals("jdbc:postgresql://db.example:5432/doc", s.jdbcUrl());
        assertEquals("crate", s.user());
        assertNull(s.password());
        assertEquals("doc", s.schema());
        assertNull(s.shards());
        assertNull(s.replicas());
        assertTrue(s.partitionBy().isEmpty());
        assertTrue(s.refreshAfterFlush());
        assertEquals(10_000_000_000L, s.refreshIntervalNanos());
        assertEquals(5000, s.batchSize());
        assertEquals(DecimalMapping.NUMERIC, s.decimalMapping());
        assertEquals("dynamic", s.objectPolicy());
        assertEquals("crate", s.connectionProperties().getProperty("user"));
        assertNull(s.connectionProperties().getProperty("password"));
        CrateSettings src = CrateSettings.of(new CrateSourceFactory().configDef().parse(Map.of("url", "crate://h:6543")));
        assertEquals("jdbc:postgresql://h:6543/doc", src.jdbcUrl());
        assertTrue(src.refreshBeforeRead());
        assertEquals(java.time.Duration.ZERO, src.incrementalLag());
        assertFalse(src.allowUnsafeCursor());
    }

    @Test
    void everyKeyMaps() {
        Map<String, Object> raw = new HashMap<>();
        raw.put("url", "jdbc:postgresql://crate1:5433/doc?sslmode=disable");
        raw.put("user", "writer");
        raw.put("password", "s3cret");
        raw.put("schema", "shop");
        raw.put("shards", "8");
        raw.put("replicas", "0-1");
        raw.put("partition.by", "orders=day, order_items=day,orders=region");
        raw.put("refresh.after.flush", "false");
        raw.put("refresh.interval", "250ms");
        raw.put("batch.size", "2000");
        raw.put("decimal.mapping", "TEXT");
        raw.put("object.policy", "ignored");
        Config c = new CrateSinkFactory().configDef().parse(raw);
        CrateSettings s = CrateSettings.of(c);
        assertEquals("jdbc:postgresql://crate1:5433/doc?sslmode=disable", s.jdbcUrl());
        assertEquals("writer", s.user());
        assertEquals("s3cret", s.password());
        assertEquals("s3cret", s.connectionProperties().getProperty("password"));
        assertEquals("shop", s.schema());
        assertEquals(8, s.shards());
        assertEquals("0-1", s.replicas());
        assertEquals(List.of("day", "region"), s.partitionBy("orders"));
        assertEquals(List.of("day"), s.partitionBy("order_items"));
        assertEquals(List.of(), s.partitionBy("customers"));
        assertFalse(s.refreshAfterFlush());
        assertEquals(250_000_000L, s.refreshIntervalNanos());
        assertEquals(2000, s.batchSize());
        assertEquals(DecimalMapping.TEXT, s.decimalMapping());
        assertEquals("ignored", s.objectPolicy());
        assertEquals("****", c.masked().get("password"));
        assertFalse(c.toString().contains("s3cret"));

        Map<String, Object> srcRaw = Map.of("url", "crate://h", "user", "reader", "password", "p", "schema", "s",
                "refresh.before.read", "false", "incremental.lag", "30s", "incremental.allow.unsafe.cursor", "true");
        CrateSettings src = CrateSettings.of(new CrateSourceFactory().configDef().parse(srcRaw));
        assertEquals("reader", src.user());
        assertEquals("p", src.password());
        assertEquals("s", src.schema());
        assertFalse(src.refreshBeforeRead());
        assertEquals(java.time.Duration.ofSeconds(30), src.incrementalLag());
        assertTrue(src.allowUnsafeCursor());
    }

    @Test
    void crateUrlsTranslate() {
        assertEquals("jdbc:postgresql://h:5432/doc", CrateSettings.toJdbcUrl("crate://h"));
        assertEquals("jdbc:postgresql://h:15432/doc", CrateSettings.toJdbcUrl("crate://h:15432"));
        assertEquals("jdbc:postgresql://h:15432/doc", CrateSettings.toJdbcUrl("crate://h:15432/"));
        assertEquals("jdbc:postgresql://h:5432/shop?ssl=true", CrateSettings.toJdbcUrl("crate://h/shop?ssl=true"));
        assertEquals("jdbc:postgresql://x:1/doc", CrateSettings.toJdbcUrl("jdbc:postgresql://x:1/doc"));
        assertThrows(ConfigException.class, () -> CrateSettings.toJdbcUrl("crate://"));
    }

    @Test
    void invalidValuesFailNamingTheKey() {
        Map<String, Object> base = Map.of("url", "crate://h");
        assertKey("url", Map.of("url", "mysql://h"), true);
        assertKey("shards", with(base, "shards", "0"), true);
        assertKey("replicas", with(base, "replicas", "1; DROP"), true);
        assertKey("partition.by", with(base, "partition.by", "orders"), true);
        assertKey("batch.size", with(base, "batch.size", "0"), true);
        assertKey("decimal.mapping", with(base, "decimal.mapping", "float"), true);
        assertKey("object.policy", with(base, "object.policy", "open"), true);
        assertKey("schema", with(base, "schema", "_sys"), false);
        assertKey("nope", with(base, "nope", "1"), true);
        ConfigException missing = assertThrows(ConfigException.class, () -> new CrateSinkFactory().configDef().parse(Map.of()));
        assertEquals("url", missing.key());
    }

    private static Map<String, Object> with(Map<String, Object> base, String k, Object v) {
        Map<String, Object> m = new HashMap<>(base);
        m.put(k, v);
        return m;
    }

    private static void assertKey(String key, Map<String, Object> raw, boolean atParse) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> CrateSettings.of(new CrateSinkFactory().configDef().parse(raw)));
        assertEquals(key, e.key(), e.getMessage());
    }
}
