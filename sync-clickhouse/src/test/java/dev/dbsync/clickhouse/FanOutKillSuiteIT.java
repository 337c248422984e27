package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.SinkReport;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.OrdersChurn;
import dev.dbsync.testkit.PostgresServer;
import java.io.File;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One PostgreSQL change feed into three sinks (ClickHouse, PostgreSQL, a second ClickHouse table) synced by a
 * separate process that is killed with SIGKILL at random moments while writers insert, update, soft- and
 * hard-delete; the second ClickHouse sink is stopped (unreachable) for a while in the middle, so it is detached and
 * later snapshotted on its own while the others stream. After a clean run every target equals the source.
 */
class FanOutKillSuiteIT {

    private static final int ROWS = 2_000;
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    @Test
    void killedMidStreamWithOneOfThreeSinksStoppedForAWhileEveryTargetEndsEqual(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        PostgresServer pg = PostgresServer.get();
        ClickHouseServer ch = ClickHouseServer.get();
        String url = pg.createDatabase("fankill");
        String targetUrl = pg.createDatabase("fankill_t");
        OrdersChurn.createOrders(url, ROWS);
        String target = ("fan_" + RUN).toLowerCase();
        String slot = ("fankill_" + RUN).toLowerCase();
        Path marker = dir.resolve("ch2-stopped");
        String[] args = {url, orDash(pg.username()), orDash(pg.password()), ch.httpUrl(), orDash(ch.username()),
                orDash(ch.password()), ch.database(), target, slot, dir.resolve("checkpoints").toString(), targetUrl,
                marker.toString()};
        Random rnd = new Random(41);
        int kills = 0;
        List<Path> logs = new ArrayList<>();
        OrdersChurn churn = OrdersChurn.start(url, ROWS, 19);
        try {
            // Each kill waits for the moment it is meant to hit (read from the child's log, so a slow machine only
            // makes the test slower), then a random moment more: streaming; ch2 stopped and detached; ch2 still
            // stopped while its snapshot is tried; ch2 back and its own snapshot under way while the others stream;
            // ch2 being brought up to the others by the feed (or just joined: the step is short); streaming.
            String[] waitFor = {"change feed open", "the sink is detached", "snapshotting it on its own",
                    "snapshotting it on its own", "bringing sink", "change feed"};
            for (int k = 0; k < waitFor.length; k++) {
                if (k == 1) {
                    Files.writeString(marker, "stopped"); // ch2 goes down for two runs
                } else if (k == 3) {
                    Files.delete(marker);
                }
                Path log = Path.of("target/fan-kill-" + k + ".log");
                logs.add(log);
                Process child = child(args, log);
                boolean reached = waitForLog(log, waitFor[k], child, 90);
                Thread.sleep(k == 3 ? rnd.nextInt(800) : k == 4 ? rnd.nextInt(150) : 300 + rnd.nextInt(1_500));
                if (child.isAlive()) {
                    child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no last flush
                    kills++;
                }
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed process ended");
                assertTrue(reached || k == 4, "run " + k + " reached '" + waitFor[k] + "' before it was killed; log: " + read(log));
            }
        } finally {
            churn.close();
        }
        String all = String.join("\n", logs.stream().map(FanOutKillSuiteIT::read).toList());
        assertTrue(all.contains("the sink is detached"), "ch2 was detached while it was stopped");
        SyncReport last = FanOutKillChild.runOnce(args);
        assertTrue(last.succeeded(), last.toText());
        for (SinkReport s : last.sinks()) {
            assertTrue(s.state() == SinkReport.State.CURRENT || s.state() == SinkReport.State.BACKFILLED, last::toText);
        }

        Map<Long, String> expected = new TreeMap<>();
        try (Connection c = pg.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, customer, amount FROM orders WHERE NOT is_deleted")) {
            while (rs.next()) {
                expected.put(rs.getLong(1), rs.getString(2) + "|" + rs.getBigDecimal(3).toPlainString());
            }
        }
        Map<Long, String> inPostgres = new TreeMap<>();
        try (Connection c = pg.connect(targetUrl); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, customer, amount FROM \"" + target + "\"")) {
            while (rs.next()) {
                inPostgres.put(rs.getLong(1), rs.getString(2) + "|" + rs.getBigDecimal(3).toPlainString());
            }
        }
        assertSame(expected, inPostgres, "PostgreSQL target", kills, churn);
        assertSame(expected, clickHouse(target), "ClickHouse", kills, churn);
        assertSame(expected, clickHouse(target + "_2"), "ClickHouse sink stopped for a while", kills, churn);
        assertTrue(kills >= 5 && churn.operations() > 40, "killed " + kills + " times under " + churn.operations() + " writes");
        System.out.println("Fan-out kill suite: " + kills + " kills, " + churn.operations() + " writer operations, "
                + churn.hardDeleted().size() + " hard deletes, " + expected.size() + " live rows equal in 3 sinks");
        try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
            st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
        }
    }

    private static void assertSame(Map<Long, String> expected, Map<Long, String> actual, String what, int kills, OrdersChurn churn) {
        List<String> differences = new ArrayList<>();
        java.util.Set<Long> keys = new java.util.TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        for (Long k : keys) {
            if (!java.util.Objects.equals(expected.get(k), actual.get(k)) && differences.size() < 20) {
                differences.add(k + ": source " + expected.get(k) + ", target " + actual.get(k));
            }
        }
        assertEquals(List.of(), differences, what + " equals PostgreSQL row by row after " + kills + " kills and "
                + churn.operations() + " writes");
        assertEquals(expected.size(), actual.size(), what);
    }

    private static Map<Long, String> clickHouse(String table) {
        TableSchema schema = new TableSchema(table, List.of(Column.required("id", LogicalType.INT64),
                Column.required("customer", LogicalType.STRING), Column.decimal("amount", 12, 2)), List.of("id"));
        Map<Long, String> out = new TreeMap<>();
        try (ChConnection conn = ClickHouseTestSupport.connection()) {
            for (Map<String, Object> r : ClickHouseTestSupport.liveRows(conn, schema, null)) {
                out.put((Long) r.get("id"), r.get("customer") + "|" + ((BigDecimal) r.get("amount")).toPlainString());
            }
        }
        return out;
    }

    /** Waits until the log holds {@code text} (true), the process ended, or the time is up (false). */
    private static boolean waitForLog(Path log, String text, Process child, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (read(log).contains(text)) {
                return true;
            }
            if (!child.isAlive()) {
                return false;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static Process child(String[] args, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                FanOutKillChild.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File(log.toString())).start();
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }
}
