package dev.dbsync.examples.customsink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySource;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example sink is found through ServiceLoader like any connector and the engine syncs into it. */
class JsonLinesSinkDiscoveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void connectorsFindTheSinkAndTheEngineSyncsIntoIt(@TempDir Path dir) throws Exception {
        Connectors connectors = Connectors.load();
        SinkFactory factory = connectors.sink("jsonl-files");
        assertInstanceOf(JsonLinesSinkFactory.class, factory);

        TableSchema schema = new TableSchema("orders", List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("customer", LogicalType.STRING),
                Column.decimal("total", 12, 2),
                Column.of("updated_at", LogicalType.TIMESTAMP_TZ),
                Column.of("is_deleted", LogicalType.BOOLEAN)), List.of("id"));
        MemorySource source = new MemorySource();
        source.createTable(schema);
        Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
        for (long id = 1; id <= 250; id++) {
            source.upsert("orders", id, "c" + id, new BigDecimal(id + ".50"), t0.plusSeconds(id), false);
        }
        Sink sink = connectors.createSink("jsonl-files", Map.of("dir", dir.toString()));
        TableSync table = TableSync.incremental(TableSpec.of("orders").withCursor("updated_at").withSoftDelete("is_deleted"));
        try (SyncEngine engine = SyncEngine.builder().source(source).sink(sink)
                .checkpointStore(CheckpointStores.file(dir.resolve("checkpoints"))).table(table).batchRows(100).build()) {
            SyncReport first = engine.runOnce();
            assertTrue(first.succeeded(), first.toText());
            // the row holding the highest cursor is read again by the first incremental pass: replays are harmless
            assertTrue(first.table("orders").upserted() >= 250, first.toText());
            assertEquals(250, lines(dir.resolve("orders.jsonl")).size());

            source.upsert("orders", 7L, "changed", new BigDecimal("99.99"), t0.plusSeconds(10_000), false);
            source.upsert("orders", 8L, "c8", new BigDecimal("8.50"), t0.plusSeconds(10_001), true);
            SyncReport second = engine.runOnce();
            assertTrue(second.succeeded(), second.toText());
            assertTrue(second.table("orders").upserted() >= 1, second.toText());
            assertEquals(1, second.table("orders").deleted());
        }
        List<JsonNode> rows = lines(dir.resolve("orders.jsonl"));
        assertEquals(249, rows.size());
        JsonNode seven = rows.stream().filter(r -> r.get("id").asLong() == 7).findFirst().orElseThrow();
        assertEquals("changed", seven.get("customer").asText());
        assertEquals(new BigDecimal("99.99"), seven.get("total").decimalValue());
        assertTrue(rows.stream().noneMatch(r -> r.get("id").asLong() == 8), "soft-deleted row 8 is gone");
    }

    private static List<JsonNode> lines(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }
}
