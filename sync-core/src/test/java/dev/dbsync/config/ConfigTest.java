package dev.dbsync.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ConfigTest {

    private static final ConfigDef DEF = ConfigDef.builder()
            .required("url", ConfigType.STRING, Validator.startsWith("jdbc:postgresql:"), "JDBC URL")
            .optional("user", ConfigType.STRING, "postgres", "user name")
            .secret("password", null, "password")
            .optional("batch.rows", ConfigType.INT, "1000", Validator.range(1, 100_000), "rows per batch")
            .optional("timeout", ConfigType.DURATION, "5s", "timeout")
            .optional("buffer", ConfigType.SIZE, "16MB", "buffer")
            .optional("refresh", ConfigType.BOOLEAN, "true", "refresh")
            .optional("columns", ConfigType.LIST, null, "columns")
            .optional("mode", ConfigType.STRING, "fast", Validator.oneOf("fast", "safe"), "mode")
            .build();

    @Test
    void defaultsAndTypedValues() {
        Config c = Config.of(DEF, Map.of("url", "jdbc:postgresql://h/db", "timeout", "250ms", "buffer", "64KB",
                "columns", "a, b,c", "batch.rows", 42));
        assertEquals("postgres", c.getString("user"));
        assertEquals(42, c.getInt("batch.rows"));
        assertEquals(Duration.ofMillis(250), c.getDuration("timeout"));
        assertEquals(64L << 10, c.getSize("buffer"));
        assertEquals(List.of("a", "b", "c"), c.getList("columns"));
        assertTrue(c.getBoolean("refresh"));
        assertFalse(c.has("password"));
        assertEquals(Duration.ofMinutes(2), Config.parseDuration("k", "2m"));
        assertEquals(Duration.ofSeconds(5), Config.parseDuration("k", "PT5S"));
        assertEquals(1L << 30, Config.parseSize("k", "1GB"));
    }

    @Test
    void errorsNameTheKeyAndTheProblem() {
        assertMessage(Map.of(), "'url'", "required");
        assertMessage(Map.of("url", "mysql://x"), "'url'", "must start with");
        assertMessage(Map.of("url", "jdbc:postgresql://h/db", "batch.rows", "0"), "'batch.rows'", "between 1 and 100000");
        assertMessage(Map.of("url", "jdbc:postgresql://h/db", "batch.rows", "many"), "'batch.rows'", "expected int");
        assertMessage(Map.of("url", "jdbc:postgresql://h/db", "timeout", "soon"), "'timeout'", "duration");
        assertMessage(Map.of("url", "jdbc:postgresql://h/db", "refresh", "yes"), "'refresh'", "true or false");
        assertMessage(Map.of("url", "jdbc:postgresql://h/db", "mode", "turbo"), "'mode'", "one of [fast, safe]");
        assertMessage(Map.of("url", "jdbc:postgresql://h/db", "pasword", "x"), "'pasword'", "unknown setting");
    }

    private static void assertMessage(Map<String, Object> raw, String key, String text) {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.of(DEF, raw));
        assertTrue(e.getMessage().contains(key) && e.getMessage().contains(text), e.getMessage());
        assertEquals(key.replace("'", ""), e.key());
    }

    @Test
    void secretsNeverAppearInToString() {
        Properties p = new Properties();
        p.setProperty("url", "jdbc:postgresql://h/db");
        p.setProperty("password", "hunter2");
        Config c = Config.of(DEF, p);
        assertEquals("hunter2", c.getString("password"));
        assertFalse(c.toString().contains("hunter2"), c.toString());
        assertFalse(c.masked().toString().contains("hunter2"));
        assertTrue(c.toString().contains("password=****"));
        assertEquals(List.of("password"), List.copyOf(c.secretKeys()));
    }

    @Test
    void aSecretsValueIsNeverQuotedInAnError() {
        ConfigDef def = ConfigDef.builder().define(new ConfigKey("token", ConfigType.STRING, null, false,
                Validator.matches("[a-z]+", "lower-case letters"), "token", true)).build();
        ConfigException e = assertThrows(ConfigException.class, () -> Config.of(def, Map.of("token", "Hunter2!")));
        assertFalse(e.getMessage().contains("Hunter2"), e.getMessage());
        assertEquals("token", e.key());
    }

    @Test
    void numbersThatDoNotFitAreRefused() {
        ConfigDef def = ConfigDef.builder().optional("n", ConfigType.LONG, null, "n").optional("size", ConfigType.SIZE, null, "s").build();
        assertThrows(ConfigException.class, () -> Config.of(def, Map.of("n", 1.9)));
        assertEquals(2L, Config.of(def, Map.of("n", 2.0)).getLong("n"));
        assertThrows(ConfigException.class, () -> Config.of(def, Map.of("size", "8589934592g")));
        assertThrows(ConfigException.class, () -> Config.of(def, Map.of("size", "99999999999999999999")));
    }

    @Test
    void aKeyDeclaredTwiceIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ConfigDef.builder()
                .optional("a", ConfigType.INT, "1", "a").optional("a", ConfigType.INT, "2", "a"));
    }
}
