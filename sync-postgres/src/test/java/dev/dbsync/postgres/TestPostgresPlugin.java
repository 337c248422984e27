package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.config.Config;
import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.StreamingSource;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plugin is found through ServiceLoader, creates and closes its connectors, and maps its settings. */
class TestPostgresPlugin {

    private static final String URL = "jdbc:postgresql://localhost:5432/shop";

    @Test
    void factoriesAreDiscoveredAndCreateWithoutConnecting() {
        Connectors connectors = Connectors.load();
        SourceFactory sf = connectors.source("postgres");
        SinkFactory kf = connectors.sink("postgres");
        assertInstanceOf(PostgresSourceFactory.class, sf);
        assertInstanceOf(PostgresSinkFactory.class, kf);
        try (Source source = connectors.createSource("postgres", Map.of("url", URL))) {
            assertInstanceOf(PostgresSource.class, source);
            assertInstanceOf(StreamingSource.class, source, "the source offers change data capture");
        }
        try (Sink sink = connectors.createSink("postgres", Map.of("url", URL))) {
            assertTrue(sink.capabilities().containsAll(List.of(SinkCapability.DELETE, SinkCapability.TRUNCATE,
                    SinkCapability.AUTO_CREATE, SinkCapability.TRANSACTIONS)));
            assertTrue(sink.checkpointStore().isEmpty());
        }
        try (Sink sink = connectors.createSink("postgres", Map.of("url", URL, "checkpoint.in.target", "true"))) {
            assertTrue(sink.capabilities().contains(SinkCapability.CHECKPOINT_STORE));
            assertTrue(sink.checkpointStore().isPresent());
        }
    }

    @Test
    void sourceConfigDefaults() {
        Config c = new PostgresSourceFactory().configDef().parse(Map.of("url", URL));
        assertEquals(URL, c.getString("url"));
        assertNull(c.getString("user"));
        assertNull(c.getString("password"));
        assertEquals("public", c.getString("schema"));
        assertEquals(Duration.ZERO, c.getDuration("incremental.lag"));
        assertNull(c.getString("slot.name"), "unset: derived from the pipeline's name");
        assertNull(c.getString("publication.name"));
        PostgresSource alone = (PostgresSource) new PostgresSourceFactory().create(c);
        assertEquals("dbsync", alone.slotName(), "outside a pipeline");
        alone.pipelineName("Shop to Analytics");
        assertEquals("dbsync_shop_to_analytics", alone.slotName());
        assertEquals("dbsync_shop_to_analytics", alone.publicationName());
        alone.close();
        String longName = "p".repeat(80);
        assertEquals(63, PostgresSource.feedName(longName).length());
        assertTrue(!PostgresSource.feedName(longName).equals(PostgresSource.feedName(longName + "x")),
                "long names differing at the end still differ");
        assertEquals(Duration.ofSeconds(10), c.getDuration("slot.heartbeat"));
        assertEquals(false, c.getBoolean("incremental.allow.unsafe.cursor"));
        assertEquals(2, c.getInt("snapshot.readers"));
        assertEquals(Duration.ofSeconds(60), c.getDuration("snapshot.idle.timeout"));
    }

    @Test
    void sourceConfigFullMapping() {
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("url", URL);
        raw.put("user", "sync");
        raw.put("password", "s3cret");
        raw.put("schema", "sales");
        raw.put("incremental.lag", "2s");
        raw.put("slot.name", "shop_slot");
        raw.put("publication.name", "shop_pub");
        raw.put("slot.heartbeat", "3s");
        raw.put("incremental.allow.unsafe.cursor", "true");
        Config c = new PostgresSourceFactory().configDef().parse(raw);
        assertEquals(Map.ofEntries(Map.entry("url", URL), Map.entry("user", "sync"), Map.entry("password", "****"),
                Map.entry("schema", "sales"), Map.entry("incremental.lag", Duration.ofSeconds(2)),
                Map.entry("incremental.allow.unsafe.cursor", true), Map.entry("slot.name", "shop_slot"),
                Map.entry("publication.name", "shop_pub"), Map.entry("slot.heartbeat", Duration.ofSeconds(3)),
                Map.entry("snapshot.readers", 2), Map.entry("snapshot.idle.timeout", Duration.ofSeconds(60))), c.masked());
        assertEquals("s3cret", c.getString("password"));
        PostgresSource s = (PostgresSource) new PostgresSourceFactory().create(c);
        s.pipelineName("other");
        assertEquals("shop_slot", s.slotName(), "a configured name stays");
        assertEquals("shop_pub", s.publicationName());
        assertEquals(new PgName("sales", "orders"), s.name(dev.dbsync.spi.TableSpec.of("orders")));
        s.close();
    }

    @Test
    void sinkConfigDefaultsAndFullMapping() {
        Config d = new PostgresSinkFactory().configDef().parse(Map.of("url", URL));
        assertEquals("public", d.getString("schema"));
        assertEquals(true, d.getBoolean("auto.create"));
        assertEquals(false, d.getBoolean("checkpoint.in.target"));
        assertEquals("dbsync_checkpoint", d.getString("checkpoint.table"));
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("url", URL);
        raw.put("user", "w");
        raw.put("password", "pw");
        raw.put("schema", "replica");
        raw.put("auto.create", "false");
        raw.put("checkpoint.in.target", "true");
        raw.put("checkpoint.table", "positions");
        Config c = new PostgresSinkFactory().configDef().parse(raw);
        assertEquals(Map.of("url", URL, "user", "w", "password", "****", "schema", "replica", "auto.create", false,
                "checkpoint.in.target", true, "checkpoint.table", "positions"), c.masked());
        try (Sink sink = new PostgresSinkFactory().create(c)) {
            assertTrue(!sink.capabilities().contains(SinkCapability.AUTO_CREATE));
            assertTrue(sink.capabilities().contains(SinkCapability.CHECKPOINT_STORE));
        }
    }

    @Test
    void invalidSettingsNameTheKey() {
        ConfigException missing = assertThrows(ConfigException.class,
                () -> new PostgresSourceFactory().configDef().parse(Map.of("user", "x")));
        assertEquals("url", missing.key());
        ConfigException wrongUrl = assertThrows(ConfigException.class,
                () -> new PostgresSinkFactory().configDef().parse(Map.of("url", "jdbc:mysql://h/db")));
        assertEquals("url", wrongUrl.key());
        ConfigException slot = assertThrows(ConfigException.class,
                () -> new PostgresSourceFactory().configDef().parse(Map.of("url", URL, "slot.name", "Bad-Slot")));
        assertEquals("slot.name", slot.key());
        ConfigException unknown = assertThrows(ConfigException.class,
                () -> new PostgresSinkFactory().configDef().parse(Map.of("url", URL, "batch", "3")));
        assertEquals("batch", unknown.key());
    }
}
