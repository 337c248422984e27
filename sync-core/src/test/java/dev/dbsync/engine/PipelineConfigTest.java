package dev.dbsync.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineConfigTest {

    private static final String YAML = String.join("\n",
            "pipeline: shop",
            "source: { type: test, url: 'test://src', password: '${env:SRC_PASSWORD}' }",
            "sink: { type: test, url: 'test://dst' }",
            "checkpoints: { type: memory }",
            "tables:",
            "  - { table: public.orders, strategy: incremental, cursor: [updated_at, created_at], softDelete: is_deleted }",
            "  - { table: public.customers, strategy: FULL, target: clients }",
            "  - public.categories",
            "engine: { batch.rows: 500, poll.interval: 30s }",
            "deadLetter: { type: log, limit: 5 }",
            "");

    @Test
    void aYamlPipelineIsReadValidatedAndBuilt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.yaml");
        Files.writeString(file, YAML.replace("${env:SRC_PASSWORD}", "plain"));
        PipelineConfig p = PipelineConfig.load(file);
        assertEquals("shop", p.pipeline());
        assertEquals(3, p.tables().size());
        TableSync orders = p.tables().get(0);
        assertEquals(Strategy.INCREMENTAL, orders.strategy());
        assertEquals(List.of("updated_at", "created_at"), orders.spec().cursorColumns());
        assertEquals("is_deleted", orders.spec().softDeleteColumn());
        assertEquals("orders", orders.target());
        assertEquals("clients", p.tables().get(1).target());
        assertEquals(Strategy.FULL, p.tables().get(2).strategy());
        assertEquals(500, p.engine().getInt("batch.rows"));
        assertEquals(Duration.ofSeconds(30), p.engine().getDuration("poll.interval"));
    }

    @Test
    void environmentVariablesFillSecretsAndAreMasked() {
        Map<String, Object> raw = new org.yaml.snakeyaml.Yaml().load(YAML);
        PipelineConfig p = PipelineConfig.fromMap(raw, name -> name.equals("SRC_PASSWORD") ? "s3cret" : null);
        Connectors c = Connectors.load();
        p.validate(c);
        String described = p.describe(c).toString();
        assertFalse(described.contains("s3cret"), described);
        assertTrue(described.contains("****"), described);
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.fromMap(raw, name -> null));
        assertEquals("source.password", e.key());
        assertTrue(e.getMessage().contains("SRC_PASSWORD"));
    }

    @Test
    void everyErrorNamesItsKey() {
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: [ {table: t, strategy: sometimes} ]",
                "tables[0].strategy");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: [ {table: t, strategy: incremental} ]",
                "tables[0]");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: [ {table: t, curser: x} ]",
                "tables[0].curser");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: [t]\nengine: {batch.rows: -1}",
                "engine.batch.rows");
        assertKey("pipeline: x\nsource: {url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: [t]", "source.type");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: []", "tables");
        assertKey("source: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: [t]", "pipeline");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test}\ntables: [t]\nsinks: {}", "sink");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\ntables: [t]\nsinks: {}", "sinks");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\ntables: [t]\nsinks: {a: {type: test, url: 'test://b'}, b: {url: 'test://c'}}",
                "sinks.b.type");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\ntables: [t]\nsinks: {a: {type: test, url: 'test://b'}, b: {type: test, nope: 1}}",
                "sinks.b.nope");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\ntables: [t]\nsinks: {a: {type: test, url: 'test://b'}}\nengine: {sink.lag.policy: later}",
                "engine.sink.lag.policy");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\ntables: [t]\nsinks: {a: {type: test, url: 'test://b',"
                + " deadLetter: {type: bin}}}", "sinks.a.deadLetter.type");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\ntables: [t]\nsinks: {a: {type: test, url: 'test://b',"
                + " deadLetter: {type: log, limit: -2}}}", "sinks.a.deadLetter.limit");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\ntables: [t]\nsinks: {a: {type: test, url: 'test://b',"
                + " deadLetter: jsonl}}", "sinks.a.deadLetter");
        assertKey("pipeline: x\nsource: {type: nosuch, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: [t]", "source.type");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ncheckpoints: {type: nosuch}\ntables: [t]",
                "checkpoints.type");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: [t]\nengine: {poll.interval: 0s}",
                "engine.poll.interval");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\n"
                + "tables: [ {table: t, cursor: updated_at, strategy: full, continueIncrementally: ture} ]", "tables[0].continueIncrementally");
        assertKey("pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\n"
                + "tables: [ {table: t, cursor: ' ', strategy: incremental} ]", "tables[0]");
    }

    @Test
    void connectorSettingsAreValidatedAgainstTheirDeclarations() {
        Map<String, Object> raw = new org.yaml.snakeyaml.Yaml().load(
                "pipeline: x\nsource: {type: test, url: 'test://a'}\nsink: {type: test, url: 'http://b'}\ntables: [t]");
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.fromMap(raw).validate(Connectors.load()));
        assertEquals("sink.url", e.key());
        assertTrue(e.getMessage().contains("must start with"), e.getMessage());
        Map<String, Object> unknown = new org.yaml.snakeyaml.Yaml().load(
                "pipeline: x\nsource: {type: nosuch, url: 'test://a'}\nsink: {type: test, url: 'test://b'}\ntables: [t]");
        ConfigException u = assertThrows(ConfigException.class, () -> PipelineConfig.fromMap(unknown).validate(Connectors.load()));
        assertTrue(u.getMessage().contains("no source named 'nosuch'"), u.getMessage());
    }

    @Test
    void aMissingFileSaysSo(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.load(dir.resolve("nope.yaml")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void propertiesFilesWork() {
        Properties props = new Properties();
        props.setProperty("pipeline", "p");
        props.setProperty("source.type", "test");
        props.setProperty("source.url", "test://a");
        props.setProperty("sink.type", "test");
        props.setProperty("sink.url", "test://b");
        props.setProperty("tables.0.table", "public.orders");
        props.setProperty("tables.0.strategy", "incremental");
        props.setProperty("tables.0.cursor", "updated_at,created_at");
        props.setProperty("engine.batch.rows", "77");
        PipelineConfig p = PipelineConfig.fromProperties(props);
        p.validate(Connectors.load());
        assertEquals(List.of("updated_at", "created_at"), p.tables().get(0).spec().cursorColumns());
        assertEquals(77, p.engine().getInt("batch.rows"));
        assertEquals("file", p.checkpointStoreType());
    }

    private static void assertKey(String yaml, String key) {
        Map<String, Object> raw = new org.yaml.snakeyaml.Yaml().load(yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.fromMap(raw).validate(Connectors.load()));
        assertEquals(key, e.key(), e.getMessage());
    }

    @Test
    void severalNamedSinksAreReadWithTheirOwnTargetsAndEachCanBeSeenAlone() {
        Map<String, Object> raw = new org.yaml.snakeyaml.Yaml().load(String.join("\n",
                "pipeline: fan",
                "source: { type: test, url: 'test://src' }",
                "sinks:",
                "  analytics: { type: test, url: 'test://olap', password: hidden1 }",
                "  cache: { type: test, url: 'test://cache', targets: { orders: orders_cache } }",
                "checkpoints: { type: memory }",
                "tables: [ public.orders, public.customers ]",
                "engine: { sink.lag.policy: pause, sink.max.lag: 30s }"));
        PipelineConfig p = PipelineConfig.fromMap(raw);
        Connectors c = Connectors.load();
        p.validate(c);
        assertEquals(List.of("analytics", "cache"), p.sinkNames());
        String described = p.describe(c).toString();
        assertTrue(described.contains("sinks.cache") && described.contains("orders_cache"), described);
        assertFalse(described.contains("hidden1"), described);
        PipelineConfig cache = p.forSink("cache");
        assertEquals("orders_cache", cache.tables().get(0).target());
        assertEquals("customers", cache.tables().get(1).target());
        assertEquals("test://cache", cache.sinkSettings().get("url"));
        assertEquals("orders", p.forSink("analytics").tables().get(0).target());
        ConfigException none = assertThrows(ConfigException.class, () -> p.forSink("search"));
        assertTrue(none.getMessage().contains("'search'"), none.getMessage());
        try (SyncEngine engine = p.toEngine(c).build()) {
            assertEquals("fan", engine.pipeline()); // the test source reads nothing; FanOutTest runs pipelines of several sinks
        }
    }
}
