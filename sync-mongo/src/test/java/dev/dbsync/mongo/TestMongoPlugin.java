package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.CheckpointStoreFactory;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.SourceFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The factories are found by ServiceLoader under the name {@code mongo}; their settings, defaults and secrets. */
class TestMongoPlugin {

    private static <T> T find(Class<T> type, java.util.function.Function<T, String> name) {
        for (T f : ServiceLoader.load(type)) {
            if ("mongo".equals(name.apply(f))) {
                return f;
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " named mongo");
    }

    @Test
    void factoriesAreDiscovered() {
        assertTrue(find(SourceFactory.class, SourceFactory::name) instanceof MongoSourceFactory);
        assertTrue(find(SinkFactory.class, SinkFactory::name) instanceof MongoSinkFactory);
        assertTrue(find(CheckpointStoreFactory.class, CheckpointStoreFactory::name) instanceof MongoCheckpointStoreFactory);
    }

    @Test
    void theUrlIsASecretAndDefaultsAreAsDocumented() {
        for (ConfigDef def : List.of(MongoSettings.source(), MongoSettings.sink(), MongoSettings.checkpoints())) {
            assertTrue(def.key(MongoSettings.URL).secret(), "the connection string may hold a password");
            assertTrue(def.key(MongoSettings.URL).required());
            assertTrue(def.key(MongoSettings.DATABASE).required());
        }
        Map<String, Object> raw = new HashMap<>(Map.of(MongoSettings.URL, "mongodb://u:pw-123@h/", MongoSettings.DATABASE, "shop"));
        Config source = Config.of(MongoSettings.source(), raw);
        assertEquals("columns", source.getString(MongoSettings.MODE));
        assertEquals(1000, source.getInt(MongoSettings.SCHEMA_SAMPLE_SIZE));
        assertEquals(Duration.ofSeconds(5), source.getDuration(MongoSettings.INCREMENTAL_LAG));
        assertEquals("auto", source.getString(MongoSettings.STREAM_SCOPE));
        assertEquals("dbsync_tables", source.getString(MongoSettings.SCHEMA_COLLECTION));
        assertEquals("_v", Config.of(MongoSettings.sink(), raw).getString(MongoSettings.VERSION_FIELD));
        assertEquals(Duration.ofSeconds(5), Config.of(MongoSettings.checkpoints(), raw).getDuration(MongoSettings.LEASE_TTL));
        assertFalse(source.toString().contains("pw-123"), source.toString());
    }

    @Test
    void badSettingsAreRefusedNamingTheKey() {
        Map<String, Object> raw = new HashMap<>(Map.of(MongoSettings.URL, "postgres://x", MongoSettings.DATABASE, "shop"));
        ConfigException url = assertThrows(ConfigException.class, () -> Config.of(MongoSettings.source(), raw));
        assertEquals(MongoSettings.URL, url.key());
        raw.put(MongoSettings.URL, "mongodb://h/");
        raw.put(MongoSettings.MODE, "rows");
        assertEquals(MongoSettings.MODE, assertThrows(ConfigException.class, () -> Config.of(MongoSettings.source(), raw)).key());
        raw.remove(MongoSettings.MODE);
        raw.put(MongoSettings.VERSION_FIELD, "a.b");
        assertEquals(MongoSettings.VERSION_FIELD, assertThrows(ConfigException.class, () -> Config.of(MongoSettings.sink(), raw)).key());
    }
}
