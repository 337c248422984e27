package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.Strategy;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.OrdersChurn;
import dev.dbsync.testkit.PostgresServer;
import dev.dbsync.verify.TableVerification;
import dev.dbsync.verify.Verifier;
import java.io.File;
import java.nio.file.Files;
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
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * PostgreSQL → PostgreSQL synced by a separate process that is killed with SIGKILL at random moments, while
 * writers insert, update, soft- and hard-delete, hold long transactions, prepare transactions and commit updates
 * out of cursor order; then a clean run. The target must equal the source row by row — the hard deletes an
 * incremental cursor cannot see aside, counted — and the library's verifier must say the same.
 */
class KillSuiteIT {

    private static final int ROWS = 3_000;
    private static final int KILLS = 5;

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void killedAtRandomUnderConcurrentWritesTheTargetEndsEqual(Strategy strategy) throws Exception {
        PgTestDb source = PgTestDb.create("kill_src");
        PgTestDb target = PgTestDb.create("kill_dst");
        OrdersChurn.createOrders(source.url, ROWS);
        PostgresServer pg = PostgresServer.get();
        Path checkpoints = Files.createTempDirectory("dbsync-kill");
        String slot = ("kill_" + strategy + "_" + ProcessHandle.current().pid()).toLowerCase();
        String[] args = {strategy.name(), source.url, target.url, orDash(pg.username()), orDash(pg.password()),
                checkpoints.toString(), slot};
        OrdersChurn churn = OrdersChurn.start(source.url, ROWS, 42);
        Random rnd = new Random(strategy.ordinal() * 31L + 7);
        int kills = 0;
        try {
            for (int k = 0; k < KILLS; k++) {
                Process child = child(args, strategy, k);
                Thread.sleep(1_200 + rnd.nextInt(1_800));
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
        long ops = churn.operations();
        Thread.sleep(100);
        SyncReport last = KillChild.runOnce(args);
        assertTrue(last.succeeded(), last.toText());
        if (strategy == Strategy.INCREMENTAL) {
            // a cursor cannot see rows deleted for good; they stay in the target, and nothing else differs
            SyncReport again = KillChild.runOnce(args);
            assertTrue(again.succeeded(), again.toText());
        }

        Map<Long, String> expected = rows(source, "SELECT id, customer, amount FROM orders WHERE NOT is_deleted");
        Map<Long, String> actual = rows(target, "SELECT id, customer, amount FROM orders");
        long hardDeletedStillInTarget = 0;
        if (strategy == Strategy.INCREMENTAL) {
            for (Long id : new ArrayList<>(hardDeleted)) {
                if (actual.remove(id) != null) {
                    hardDeletedStillInTarget++;
                }
            }
        }
        assertEquals(expected.size(), actual.size(), strategy + ": row count after " + kills + " kills and " + ops + " writes");
        assertEquals(List.of(), differences(expected, actual), strategy + ": target equals source row by row");
        assertTrue(kills >= KILLS - 1 && ops > 40, "killed " + kills + " times under " + ops + " writes");
        System.out.println("kill suite " + strategy + ": " + kills + " kills, " + ops + " writer operations, "
                + hardDeleted.size() + " hard deletes, " + expected.size() + " live rows equal");

        try (Verifier v = Verifier.builder().source(new PostgresSource(source.factory())).target(new PostgresSource(target.factory()))
                .sink(new PostgresSink(target.factory(), "public", false, null))
                .table(TableSpec.of("public.orders").withSoftDelete("is_deleted"), "public.orders").build()) {
            TableVerification t = v.run().tables().get(0);
            if (strategy == Strategy.INCREMENTAL) {
                assertEquals(hardDeletedStillInTarget, t.differences(), "verify finds exactly the hard deletes: " + t.summary());
                assertTrue(t.missing().isEmpty() && t.different().isEmpty(), t.summary());
            } else {
                assertTrue(t.equal(), "verify agrees: " + t.summary());
            }
        } finally {
            if (strategy == Strategy.CDC) {
                new PgReplication(source.factory(), slot, slot).dropSlot();
            }
        }
    }

    private static Process child(String[] args, Strategy strategy, int k) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), KillChild.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(new File("target/kill-" + strategy + "-" + k + ".log")).start();
    }

    /** The keys whose rows differ, with both sides, at most 20. */
    private static List<String> differences(Map<Long, String> expected, Map<Long, String> actual) {
        List<String> out = new ArrayList<>();
        TreeSet<Long> keys = new TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        for (Long k : keys) {
            if (!java.util.Objects.equals(expected.get(k), actual.get(k)) && out.size() < 20) {
                out.add(k + ": source " + expected.get(k) + ", target " + actual.get(k));
            }
        }
        return out;
    }

    private static Map<Long, String> rows(PgTestDb db, String sql) throws Exception {
        Map<Long, String> out = new TreeMap<>();
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.put(rs.getLong(1), rs.getString(2) + "|" + rs.getBigDecimal(3).toPlainString());
            }
        }
        return out;
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }
}
