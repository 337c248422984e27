package dev.dbsync.examples.customsource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example source as a user meets it: found by name, its file format, its errors. */
class CsvSourceTest {

    @TempDir
    Path dir;

    @Test
    void foundByNameAndSyncedByTheEngine() throws Exception {
        Files.writeString(dir.resolve("products.csv"), """
                sku:STRING:key,name:STRING,price:DECIMAL,added:TIMESTAMP_TZ
                A-1,"Chair, oak",120.50,2025-01-02T03:04:05.123456Z
                A-2,"The ""best"" lamp",19.99,2025-01-02T03:04:06Z
                A-3,,0,
                A-4,"",1,2025-01-03T00:00:00+02:00
                """);
        Connectors connectors = Connectors.load();
        assertTrue(connectors.sources().stream().anyMatch(f -> f.name().equals("csv-files")));
        ConfigException missing = assertThrows(ConfigException.class, () -> connectors.createSource("csv-files", Map.of()));
        assertTrue(missing.getMessage().contains("dir"), missing.getMessage());

        MemorySink sink = new MemorySink();
        try (SyncEngine engine = SyncEngine.builder().pipeline("csv").checkpointStore(CheckpointStores.memory())
                .source(connectors.createSource("csv-files", Map.of("dir", dir.toString())))
                .sink(sink).table(TableSync.full(TableSpec.of("products"))).build()) {
            SyncReport r = engine.runOnce();
            assertTrue(r.succeeded(), r.toText());
            assertEquals(4, r.upserted());
        }
        List<List<Object>> rows = sink.rows("products");
        assertEquals(List.of("A-1", "Chair, oak", new BigDecimal("120.50"), Instant.parse("2025-01-02T03:04:05.123456Z")),
                rows.get(0));
        assertEquals("The \"best\" lamp", rows.get(1).get(1));
        assertNull(rows.get(2).get(1), "an empty unquoted field is NULL");
        assertNull(rows.get(2).get(3));
        assertEquals("", rows.get(3).get(1), "\"\" is the empty string");
        assertEquals(Instant.parse("2025-01-02T22:00:00Z"), rows.get(3).get(3));
    }

    @Test
    void badFilesAreNamedWithTableLineAndColumn() throws Exception {
        Files.writeString(dir.resolve("t.csv"), "id:INT64:key,n:INT32\n1,2\n2,two\n");
        Files.writeString(dir.resolve("u.csv"), "id:INT64:key,n:NUMBER\n");
        Files.writeString(dir.resolve("v.csv"), "id:INT64,n:INT32\n");
        try (Source s = new CsvSource(dir)) {
            assertEquals(List.of("t", "u", "v"), s.listTables());
            TableSpec t = TableSpec.of("t");
            SyncException bad = assertThrows(SyncException.class, () -> s.readSnapshot(t, s.describe(t), null, 10));
            assertTrue(bad.getMessage().contains("table 't', line 3") && bad.getMessage().contains("column 'n'")
                    && bad.getMessage().contains("'two'"), bad.getMessage());
            SyncException type = assertThrows(SyncException.class, () -> s.describe(TableSpec.of("u")));
            assertTrue(type.getMessage().contains("NUMBER"), type.getMessage());
            SyncException noKey = assertThrows(SyncException.class, () -> s.describe(TableSpec.of("v")));
            assertTrue(noKey.getMessage().contains("no key"), noKey.getMessage());
            assertEquals(List.of("n"), s.describe(TableSpec.of("v").withKey("n")).primaryKey());
        }
    }
}
