package dev.dbsync.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.config.Secrets;
import dev.dbsync.spi.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pipeline files with mistakes: all of them reported at once, each naming its key, and no secret shown. */
class PipelineConfigMistakesTest {

    @Test
    void everyMistakeIsReportedNamingItsKey(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, String.join("\n",
                "pipeline: p",
                "surce: { type: test }",
                "sink: { url: x }",
                "tables:",
                "  - { table: a, strategy: sideways }",
                "  - { table: b, strategy: incremental }",
                "  - { table: c, cursor: [], colour: red }",
                "  - { table: d }",
                "  - { table: d }",
                "  - { table: public.e }",
                "  - { table: other.e }",
                "engine: { batch.rows: 0, stream.idle: 0s, progress.interval: 0s, poll.interval: soon }",
                "deadLetter: { type: shred }",
                ""));
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.load(f));
        TreeSet<String> keys = new TreeSet<>();
        e.problems().forEach(p -> keys.add(p.key()));
        assertEquals(new TreeSet<>(List.of("surce", "source", "sink.type", "tables[0].strategy", "tables[1]",
                "tables[2].colour", "tables[4].table", "tables[6].target", "engine.batch.rows", "engine.stream.idle",
                "engine.progress.interval", "engine.poll.interval", "deadLetter.type")), keys, e.getMessage());
        assertTrue(e.getMessage().startsWith(e.problems().size() + " invalid settings:"), e.getMessage());
    }

    @Test
    void aKeyGivenTwiceIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("twice.yaml");
        Files.writeString(f, "pipeline: p\nsource: { type: test }\nsink: { type: test }\nsource: { type: other }\ntables: [a]\n");
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.load(f));
        assertTrue(e.getMessage().contains("source"), e.getMessage());
        Path j = dir.resolve("twice.json");
        Files.writeString(j, "{\"pipeline\": \"p\", \"pipeline\": \"q\"}");
        assertThrows(ConfigException.class, () -> PipelineConfig.load(j));
    }

    @Test
    void passwordsInsideUrlsNeverAppear() {
        assertEquals("jdbc:postgresql://db:5432/shop?user=sync&password=****&ssl=true",
                Secrets.redact("jdbc:postgresql://db:5432/shop?user=sync&password=hunter2&ssl=true"));
        assertEquals("http://admin:****@olap:8123", Secrets.redact("http://admin:hunter2@olap:8123"));
        assertEquals("mongodb://u:****@h1,h2/db?authSource=admin", Secrets.redact("mongodb://u:p%40ss@h1,h2/db?authSource=admin"));
        assertEquals("no url here", Secrets.redact("no url here"));
        Map<String, Object> raw = Map.of("pipeline", "p", "source", Map.of("type", "test", "url", "x://u:hunter2@h"),
                "sink", Map.of("type", "test"), "tables", List.of("a"),
                "engine", Map.of("batch.rows", "jdbc:x://h/db?password=hunter2"));
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineConfig.fromMap(raw));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }
}
