package dev.dbsync.redis;

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

/** The factories are found by name, declare their settings and refuse bad ones naming the key. */
class TestRedisPlugin {

    @Test
    void factoriesAreFoundByServiceLoader() {
        assertTrue(ServiceLoader.load(SinkFactory.class).stream().anyMatch(p -> p.get().name().equals("redis")));
        assertTrue(ServiceLoader.load(SourceFactory.class).stream().anyMatch(p -> p.get().name().equals("redis")));
        assertTrue(ServiceLoader.load(CheckpointStoreFactory.class).stream().anyMatch(p -> p.get().name().equals("redis")));
    }

    @Test
    void defaultsAndSecrets() {
        var def = new RedisSinkFactory().configDef();
        var c = def.parse(Map.of("url", "redis://localhost:6379"));
        assertEquals("dbsync", c.getString("key.prefix"));
        assertEquals(":", c.getString("key.separator"));
        assertEquals("hash", c.getString("value.format"));
        assertEquals(200, c.getInt("rows.per.script"));
        assertEquals(false, c.getBoolean("change.index"));
        assertTrue(def.key("password").secret());
        assertTrue(new RedisSourceFactory().configDef().key("password").secret());
        assertTrue(new RedisCheckpointStoreFactory().configDef().key("password").secret());
    }

    @Test
    void badSettingsNameTheKey() {
        var def = new RedisSinkFactory().configDef();
        ConfigException url = assertThrows(ConfigException.class, () -> def.parse(Map.of("url", "http://x")));
        assertTrue(url.getMessage().contains("url"), url.getMessage());
        ConfigException sep = assertThrows(ConfigException.class, () -> def.parse(Map.of("url", "redis://x", "key.separator", "%")));
        assertTrue(sep.getMessage().contains("key.separator"), sep.getMessage());
        ConfigException fmt = assertThrows(ConfigException.class, () -> def.parse(Map.of("url", "redis://x", "value.format", "xml")));
        assertTrue(fmt.getMessage().contains("value.format"), fmt.getMessage());
    }
}
