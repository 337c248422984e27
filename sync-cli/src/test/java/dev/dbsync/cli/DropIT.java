package dev.dbsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code drop}: a CDC pipeline's checkpoints cleared, its slot and publication dropped, the next run snapshots. */
class DropIT {

    @TempDir
    Path dir;

    @Test
    void dropReleasesTheSlotAndTheNextRunStartsAfresh() throws Exception {
        PostgresServer pg = PostgresServer.get();
        String src = pg.createDatabase("drop_src");
        String dst = pg.createDatabase("drop_dst");
        String slot = "drop_" + ProcessHandle.current().pid();
        try (Connection c = pg.connect(src); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
            s.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 200) g");
        }
        Path file = dir.resolve("p.yaml");
        Files.writeString(file, String.format("""
                pipeline: drop-it
                source: { type: postgres, url: "%s", user: %s, slot.name: %s, publication.name: %s }
                sink: { type: postgres, url: "%s", user: %s }
                checkpoints: { type: file, dir: "%s" }
                tables:
                  - { table: public.items, strategy: cdc }
                """, src, pg.username(), slot, slot, dst, pg.username(), dir.resolve("cp")));

        Cli first = Cli.run("run", file.toString(), "--no-progress");
        assertEquals(ExitCodes.OK, first.code(), first.toString());
        assertEquals(1, count(pg, src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"));

        Cli unconfirmed = Cli.run("drop", file.toString());
        assertEquals(ExitCodes.CONFIG, unconfirmed.code(), unconfirmed.toString());
        assertTrue(unconfirmed.err().contains("--yes"), unconfirmed.toString());
        assertEquals(1, count(pg, src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"),
                "nothing dropped without --yes");

        Cli drop = Cli.run("drop", file.toString(), "--yes");
        assertEquals(ExitCodes.OK, drop.code(), drop.toString());
        assertTrue(drop.out().contains("replication slot '" + slot + "' dropped (it retained"), drop.toString());
        assertTrue(drop.out().contains("publication '" + slot + "' dropped"), drop.toString());
        assertTrue(drop.out().contains("dbsync: OK pipeline drop-it dropped"), drop.toString());
        assertEquals(0, count(pg, src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"));
        assertEquals(0, count(pg, src, "SELECT count(*) FROM pg_publication WHERE pubname = '" + slot + "'"));

        Cli again = Cli.run("drop", file.toString(), "--yes");
        assertEquals(ExitCodes.OK, again.code(), again.toString());
        assertTrue(again.out().contains("replication slot '" + slot + "' did not exist"), again.toString());

        try (Connection c = pg.connect(src); Statement s = c.createStatement()) {
            s.execute("UPDATE items SET name = 'changed' WHERE id <= 10");
        }
        Cli next = Cli.run("run", file.toString(), "--no-progress");
        assertEquals(ExitCodes.OK, next.code(), next.toString());
        assertTrue(next.out().contains("CDC*"), "the run after a drop snapshots again: " + next);
        assertEquals(10, count(pg, dst, "SELECT count(*) FROM items WHERE name = 'changed'"));
        assertEquals(200, count(pg, dst, "SELECT count(*) FROM items"));
        Cli cleanup = Cli.run("drop", file.toString(), "--yes");
        assertEquals(ExitCodes.OK, cleanup.code(), cleanup.toString());
    }

    private static long count(PostgresServer pg, String url, String sql) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
