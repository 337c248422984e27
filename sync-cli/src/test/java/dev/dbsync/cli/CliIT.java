package dev.dbsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code run} and {@code verify} against real PostgreSQL databases, with their exit codes and status lines. */
class CliIT {

    @TempDir
    Path dir;

    @Test
    void runThenVerifyEqualThenDifferent() throws Exception {
        PostgresServer pg = PostgresServer.get();
        String src = pg.createDatabase("cli_src");
        String dst = pg.createDatabase("cli_dst");
        try (Connection c = pg.connect(src); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(10,2), "
                    + "updated_at timestamptz NOT NULL, is_deleted boolean NOT NULL DEFAULT false)");
            s.execute("INSERT INTO items SELECT g, 'item ' || g, g * 1.25, timestamptz '2024-01-01' + g * interval '1 minute', "
                    + "g % 50 = 0 FROM generate_series(1, 3000) g");
        }
        Path file = dir.resolve("p.yaml");
        Files.writeString(file, String.format("""
                pipeline: cli-it
                source: { type: postgres, url: "%s", user: %s }
                sink: { type: postgres, url: "%s", user: %s }
                checkpoints: { type: file, dir: "%s" }
                tables:
                  - { table: public.items, strategy: incremental, cursor: [updated_at], softDelete: is_deleted }
                """, src, pg.username(), dst, pg.username(), dir.resolve("cp")));

        Cli run = Cli.run("run", file.toString(), "--no-progress");
        assertEquals(ExitCodes.OK, run.code(), run.toString());
        assertTrue(run.out().contains("dbsync: OK pipeline cli-it: 1 tables, read 3000, upserted 2940, deleted 60, failed 0"),
                run.toString());

        Cli equal = Cli.run("verify", file.toString());
        assertEquals(ExitCodes.OK, equal.code(), equal.toString());
        assertTrue(equal.out().contains("2940         2940") && equal.out().contains("equal"), equal.toString());

        try (Connection c = pg.connect(dst); Statement s = c.createStatement()) {
            s.execute("UPDATE items SET name = 'tampered' WHERE id = 7");
            s.execute("DELETE FROM items WHERE id = 8");
            s.execute("INSERT INTO items VALUES (50, 'resurrected', 1, now(), false)");
        }
        Cli different = Cli.run("verify", file.toString(), "--chunk-keys", "100");
        assertEquals(ExitCodes.DIFFERENCES, different.code(), different.toString());
        assertTrue(different.out().contains("3 keys differ"), different.toString());
        assertTrue(different.out().contains("missing in target: [8]"), different.toString());
        assertTrue(different.out().contains("only in target: [50]"), different.toString());
        assertTrue(different.out().contains("values differ: [7]"), different.toString());
        assertTrue(different.out().contains("dbsync: DIFFERENT pipeline cli-it: 1 tables differ"), different.toString());

        // a source that cannot be reached: the table fails and the exit code says so
        Files.writeString(file, Files.readString(file).replace(src, "jdbc:postgresql://127.0.0.1:1/nowhere")
                .replace("cli-it", "cli-it-down"));
        Cli down = Cli.run("run", file.toString(), "--no-progress");
        assertEquals(ExitCodes.EXTERNAL, down.code(), "a database out of reach has its own exit code: " + down);
        assertTrue((down.out() + down.err()).contains("127.0.0.1:1"), down.toString());

        // a cursor column the table does not have: a configuration error, exit code 2, naming table and column
        Files.writeString(file, Files.readString(file).replace("jdbc:postgresql://127.0.0.1:1/nowhere", src)
                .replace("cli-it-down", "cli-it-cursor").replace("cursor: [updated_at]", "cursor: [changed_at]"));
        Cli cursor = Cli.run("run", file.toString(), "--no-progress");
        assertEquals(ExitCodes.CONFIG, cursor.code(), cursor.toString());
        assertTrue((cursor.out() + cursor.err()).contains("changed_at") && (cursor.out() + cursor.err()).contains("public.items"),
                cursor.toString());
    }
}
