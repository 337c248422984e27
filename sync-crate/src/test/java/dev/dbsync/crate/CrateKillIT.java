package dev.dbsync.crate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.SyncReport;
import dev.dbsync.testkit.PostgresServer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A sync PostgreSQL → CrateDB killed with SIGKILL in the middle of its snapshot, then changes in PostgreSQL while
 * it is down, then a new process over the same checkpoints: CrateDB must hold exactly PostgreSQL's live rows.
 */
class CrateKillIT {

    private static final int ROWS = 40_000;

    private final CrateServer crate = CrateServer.get();
    private final PostgresServer pg = PostgresServer.get();
    private final String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    @Test
    void killedMidSnapshotResumesWithNothingLostOrDoubled() throws Exception {
        String pgUrl = pg.createDatabase("kill");
        try (Connection c = pgConnect(pgUrl); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INT NOT NULL, "
                    + "updated_at TIMESTAMPTZ NOT NULL, is_deleted BOOLEAN NOT NULL DEFAULT false)");
            st.execute("INSERT INTO items (id, name, qty, updated_at) SELECT g, 'item ' || g, g % 100, "
                    + "now() - interval '1 hour' + (g || ' milliseconds')::interval FROM generate_series(1, " + ROWS + ") g");
        }
        Path checkpoints = Files.createTempDirectory("dbsync-crate-kill");
        String target = "kill_" + run;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                CrateSyncMain.class.getName(), pgUrl, orDash(pg.username()), orDash(pg.password()), crate.jdbcUrl(),
                checkpoints.toString(), "kill-" + run, target))
                .redirectErrorStream(true).redirectOutput(new File("target/crate-kill-child.log")).start();
        long seen = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && child.isAlive()) {
            seen = countIfExists(target);
            if (seen >= 2_000) {
                break;
            }
            Thread.sleep(50);
        }
        assertTrue(child.isAlive(), "the child was still syncing when killed (it had written " + seen + " rows)");
        child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no final flush
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed child ended");
        long atKill = countIfExists(target);
        assertTrue(atKill < ROWS, "killed in the middle of the snapshot: " + atKill + " of " + ROWS + " rows written");

        try (Connection c = pgConnect(pgUrl); Statement st = c.createStatement()) {
            st.execute("UPDATE items SET name = name || ' changed', updated_at = now() WHERE id % 400 = 0");
            st.execute("UPDATE items SET is_deleted = true, updated_at = now() WHERE id % 1000 = 7");
            st.execute("INSERT INTO items (id, name, qty, updated_at) SELECT g, 'new ' || g, 1, now() "
                    + "FROM generate_series(" + (ROWS + 1) + ", " + (ROWS + 50) + ") g");
        }
        Thread.sleep(50);
        SyncReport resumed = CrateSyncMain.run(pgUrl, pg.username(), pg.password(), crate.jdbcUrl(), checkpoints,
                "kill-" + run, target, 2000);
        assertTrue(resumed.succeeded(), resumed::toText);
        assertTrue(resumed.rowsRead() < ROWS + 50, "the resumed run continued from the checkpoint: " + resumed.toText());

        Map<Long, String> expected = new TreeMap<>();
        try (Connection c = pgConnect(pgUrl); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, name FROM items WHERE NOT is_deleted")) {
            while (rs.next()) {
                expected.put(rs.getLong(1), rs.getString(2));
            }
        }
        Map<Long, String> actual = new TreeMap<>();
        try (Connection c = crate.connect(); Statement st = c.createStatement()) {
            st.execute("REFRESH TABLE doc." + target);
            try (ResultSet rs = st.executeQuery("SELECT id, name FROM doc." + target + " LIMIT " + (2 * ROWS))) {
                while (rs.next()) {
                    actual.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        assertEquals(ROWS + 50 - ROWS / 1000, expected.size());
        assertEquals(expected.size(), actual.size(), "row count");
        assertEquals(expected, actual);
    }

    private long countIfExists(String table) throws SQLException {
        try (Connection c = crate.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'doc'"
                    + " AND table_name = '" + table + "'")) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    return 0;
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM doc." + table)) {
                rs.next();
                return rs.getLong(1);
            } catch (SQLException e) {
                // a table just created by the child answers only once its shards have started
                if (String.valueOf(e.getMessage()).contains("shard state")) {
                    return 0;
                }
                throw e;
            }
        }
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }

    private Connection pgConnect(String url) throws SQLException {
        return pg.username() == null ? java.sql.DriverManager.getConnection(url)
                : java.sql.DriverManager.getConnection(url, pg.username(), pg.password());
    }
}
