package dev.dbsync.elastic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.CheckpointStoreFactory;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.SourceFactory;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The factories are found by name and their settings are checked before anything connects. */
class TestElasticPlugin {

    @Test
    void factoriesAreFoundByName() {
        assertTrue(ServiceLoader.load(SinkFactory.class).stream().anyMatch(p -> p.get().name().equals("elasticsearch")));
        assertTrue(ServiceLoader.load(SourceFactory.class).stream().anyMatch(p -> p.get().name().equals("elasticsearch")));
        assertTrue(ServiceLoader.load(CheckpointStoreFactory.class).stream().anyMatch(p -> p.get().name().equals("elasticsearch")));
    }

    @Test
    void badSettingsAreRefusedNamingTheKey() {
        ConfigException url = assertThrows(ConfigException.class, () -> ElasticSettings.SINK.parse(Map.of("url", "es:9200")));
        assertTrue(url.getMessage().contains("url"), url.getMessage());
        ConfigException dyn = assertThrows(ConfigException.class,
                () -> ElasticSettings.SINK.parse(Map.of("url", "http://h:9200", "dynamic", "sometimes")));
        assertTrue(dyn.getMessage().contains("dynamic"), dyn.getMessage());
        ConfigException pw = assertThrows(ConfigException.class,
                () -> ElasticSettings.of(ElasticSettings.SINK.parse(Map.of("url", "http://h:9200", "user", "u"))));
        assertTrue(pw.getMessage().contains("password"), pw.getMessage());
    }

    @Test
    void defaults() {
        ElasticSettings s = ElasticSettings.of(ElasticSettings.SINK.parse(Map.of("url", "http://a:9200, https://b:9243")));
        assertEquals(2, s.urls.size());
        assertEquals("text_keyword", s.stringMapping);
        assertEquals("keyword", s.decimalMapping);
        assertEquals("flattened", s.jsonMapping);
        assertEquals(8L << 20, s.bulkMaxBytes);
        assertEquals(5000, s.bulkMaxActions);
        assertTrue(s.refreshOnFlush);
        assertEquals("dbsync_checkpoints", s.checkpointIndex);
    }
}
