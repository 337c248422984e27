package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.Strategy;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.OrdersChurn;
import dev.dbsync.testkit.PostgresServer;
import java.io.File;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * PostgreSQL → ClickHouse synced by a separate process, checkpoints kept in ClickHouse, killed with SIGKILL at
 * random moments while writers insert, update, soft- and hard-delete, hold long transactions, prepare transactions
 * and commit updates out of cursor order; then a clean run. The live rows of the target ({@code FINAL}, deleted
 * rows excluded) must equal the source's — the hard deletes an incremental cursor cannot see aside, counted. A
 * killed holder's lease is freed at once on the same host, so every restart proceeds.
 */
class ClickHouseKillSuiteIT {

    private static final int ROWS = 3_000;
    private static final int KILLS = 4;
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void killedAtRandomUnderConcurrentWritesClickHouseEndsEqual(Strategy strategy) throws Exception {
        PostgresServer pg = PostgresServer.get();
        ClickHouseServer ch = ClickHouseServer.get();
        String url = pg.createDatabase("chkill");
        OrdersChurn.createOrders(url, ROWS);
        String target = ("kill_" + strategy + "_" + RUN).toLowerCase();
        String slot = ("chkill_" + strategy + "_" + RUN).toLowerCase();
        String[] args = {strategy.name(), url, orDash(pg.username()), orDash(pg.password()), ch.httpUrl(),
                orDash(ch.username()), orDash(ch.password()), ch.database(), target, slot};
        Random rnd = new Random(strategy.ordinal() * 17L + 3);
        int kills = 0;
        OrdersChurn churn = OrdersChurn.start(url, ROWS, 7 + strategy.ordinal());
        try {
            for (int k = 0; k < KILLS; k++) {
                Process child = child(args, strategy, k);
                Thread.sleep(1_500 + rnd.nextInt(2_000));
                if (child.isAlive()) {
                    child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no last flush
                    kills++;
                }
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed process ended");
            }
        } finally {
            churn.close();
        }
        Set<Long> hardDeleted = churn.hardDeleted();
        SyncReport last = ClickHouseKillChild.runOnce(args);
        assertTrue(last.succeeded(), last.toText());
        if (strategy == Strategy.INCREMENTAL) {
            SyncReport again = ClickHouseKillChild.runOnce(args);
            assertTrue(again.succeeded(), again.toText());
        }

        Map<Long, String> expected = new TreeMap<>();
        try (Connection c = pg.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, customer, amount FROM orders WHERE NOT is_deleted")) {
            while (rs.next()) {
                expected.put(rs.getLong(1), rs.getString(2) + "|" + rs.getBigDecimal(3).toPlainString());
            }
        }
        TableSchema schema = new TableSchema(target, List.of(Column.required("id", LogicalType.INT64),
                Column.required("customer", LogicalType.STRING), Column.decimal("amount", 12, 2)), List.of("id"));
        Map<Long, String> actual = new TreeMap<>();
        try (ChConnection conn = ClickHouseTestSupport.connection()) {
            for (Map<String, Object> r : ClickHouseTestSupport.liveRows(conn, schema, null)) {
                actual.put((Long) r.get("id"), r.get("customer") + "|" + ((BigDecimal) r.get("amount")).toPlainString());
            }
        }
        long hardDeletedStillInTarget = 0;
        if (strategy == Strategy.INCREMENTAL) {
            // a cursor cannot see rows deleted for good; they stay in the target, and nothing else differs
            for (Long id : hardDeleted) {
                if (!expected.containsKey(id) && actual.remove(id) != null) {
                    hardDeletedStillInTarget++;
                }
            }
        }
        List<String> differences = new ArrayList<>();
        for (Long k : new java.util.TreeSet<>(union(expected.keySet(), actual.keySet()))) {
            if (!java.util.Objects.equals(expected.get(k), actual.get(k)) && differences.size() < 20) {
                differences.add(k + ": source " + expected.get(k) + ", target " + actual.get(k));
            }
        }
        assertEquals(List.of(), differences, strategy + ": ClickHouse equals PostgreSQL row by row after " + kills
                + " kills and " + churn.operations() + " writes");
        assertEquals(expected.size(), actual.size());
        assertTrue(kills >= KILLS - 1 && churn.operations() > 40, "killed " + kills + " times under " + churn.operations() + " writes");
        System.out.println("ClickHouse kill suite " + strategy + ": " + kills + " kills, " + churn.operations()
                + " writer operations, " + hardDeleted.size() + " hard deletes (" + hardDeletedStillInTarget
                + " left by the cursor), " + expected.size() + " live rows equal");
        if (strategy == Strategy.CDC) {
            try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
            }
        }
    }

    private static Set<Long> union(Set<Long> a, Set<Long> b) {
        Set<Long> out = new java.util.HashSet<>(a);
        out.addAll(b);
        return out;
    }

    private static Process child(String[] args, Strategy strategy, int k) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                ClickHouseKillChild.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(new File("target/ch-kill-" + strategy + "-" + k + ".log")).start();
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }
}
