package dev.dbsync.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.CheckpointStoreFactory;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.SyncException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectorsTest {

    @Test
    void builtInAndRegisteredFactoriesAreDiscovered() {
        Connectors c = Connectors.load();
        assertEquals(List.of("file", "memory"),
                c.checkpointStores().stream().map(CheckpointStoreFactory::name).collect(Collectors.toList()));
        assertEquals("test", c.source("test").name());
        assertEquals("test", c.sink("test").name());
        c.createSink("test", Map.of("url", "test://x")).close();
    }

    @Test
    void anUnknownNameListsWhatIsAvailable() {
        ConfigException e = assertThrows(ConfigException.class, () -> Connectors.load().sink("clickhouse"));
        assertTrue(e.getMessage().contains("no sink named 'clickhouse'") && e.getMessage().contains("[test]"), e.getMessage());
        assertEquals("sink.type", e.key());
    }

    @Test
    void creatingValidatesTheConfigFirst() {
        ConfigException e = assertThrows(ConfigException.class, () -> Connectors.load().createSource("test", Map.of()));
        assertEquals("url", e.key());
    }

    @Test
    void twoFactoriesWithOneNameFailNamingBoth(@TempDir Path dir) throws Exception {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve("dev.dbsync.spi.SinkFactory"), TestFactories.DuplicateSinkFactory.class.getName() + "\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            SyncException e = assertThrows(SyncException.class, () -> Connectors.load(loader));
            assertTrue(e.getMessage().contains("'test'") && e.getMessage().contains("DuplicateSinkFactory")
                    && e.getMessage().contains("TestSinkFactory"), e.getMessage());
        }
    }
}
