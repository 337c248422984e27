package dev.dbsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.PipelineConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The sample pipeline files in {@code sync-cli/pipelines} are valid for the connectors on the class path (their
 * passwords come from environment variables the build sets).
 */
class PipelineFilesTest {

    private static final Path DIR = Path.of("pipelines");

    @Test
    void everySampleFileValidates() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertEquals(List.of("postgres-fan-out.yaml", "postgres-to-clickhouse.yaml", "postgres-to-crate.yaml", "postgres-to-postgres.yaml"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        Connectors connectors = Connectors.load();
        for (Path f : files) {
            PipelineConfig config = PipelineConfig.load(f);
            config.validate(connectors);
            assertEquals("postgres", config.sourceType(), f.toString());
            assertEquals(5, config.tables().size(), f.toString());
            String text = Files.readString(f);
            assertTrue(text.contains("${env:"), f + " takes its passwords from the environment");
            assertFalse(config.describe(connectors).toString().contains("sample-secret"), f + ": secrets are masked");
            Cli r = Cli.run("validate", f.toString());
            assertEquals(ExitCodes.OK, r.code(), r.toString());
        }
    }
}
