package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.ConfigException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The snapshot settings: defaults, mapping, and errors naming the setting. */
class SnapshotSettingsTest {

    private static final String URL = "jdbc:postgresql://localhost:1/none";
    private final PostgresSourceFactory factory = new PostgresSourceFactory();

    private PostgresSource create(Map<String, Object> raw) {
        return (PostgresSource) factory.create(factory.configDef().parse(raw));
    }

    @Test
    void defaultsAreTwoReadersAndAMinuteOfIdleness() {
        try (PostgresSource s = create(Map.of("url", URL))) {
            assertEquals(2, s.snapshotOptions().readers());
            assertEquals(Duration.ofSeconds(60), s.snapshotOptions().idleTimeout());
            assertEquals(SnapshotSession.Options.DEFAULT_RANGE_BYTES, s.snapshotOptions().rangeBytes());
        }
    }

    @Test
    void settingsAreTakenAsGiven() {
        try (PostgresSource s = create(Map.of("url", URL, "snapshot.readers", "1", "snapshot.idle.timeout", "5s"))) {
            assertEquals(1, s.snapshotOptions().readers());
            assertEquals(Duration.ofSeconds(5), s.snapshotOptions().idleTimeout());
        }
        try (PostgresSource s = create(Map.of("url", URL, "snapshot.readers", 8))) {
            assertEquals(8, s.snapshotOptions().readers());
        }
    }

    @Test
    void badValuesAreRefusedNamingTheSetting() {
        for (Object bad : new Object[] {"0", "-1", "65", "many"}) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> factory.configDef().parse(Map.of("url", URL, "snapshot.readers", bad)));
            assertTrue(e.getMessage().contains("snapshot.readers"), e.getMessage());
        }
        ConfigException e = assertThrows(ConfigException.class,
                () -> factory.configDef().parse(Map.of("url", URL, "snapshot.idle.timeout", "0s")));
        assertTrue(e.getMessage().contains("snapshot.idle.timeout") && e.getMessage().contains("positive"), e.getMessage());
    }
}
