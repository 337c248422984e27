package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.Strategy;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.spi.TableSpec;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
        source.exec("CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2) NOT NULL,"
                        + " updated_at timestamptz NOT NULL DEFAULT now(), is_deleted boolean NOT NULL DEFAULT false)",
                "ALTER TABLE orders REPLICA IDENTITY FULL",
                "INSERT INTO orders (id, customer, amount, updated_at) SELECT g, 'c' || (g % 97), g * 1.25,"
                        + " now() - interval '1 hour' + (g || ' milliseconds')::interval FROM generate_series(1, " + ROWS + ") g");
        PostgresServer pg = PostgresServer.get();
        Path checkpoints = Files.createTempDirectory("dbsync-kill");
        String slot = ("kill_" + strategy + "_" + ProcessHandle.current().pid()).toLowerCase();
        String[] args = {strategy.name(), source.url, target.url, orDash(pg.username()), orDash(pg.password()),
                checkpoints.toString(), slot};
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ops = new AtomicLong();
        Set<Long> hardDeleted = java.util.Collections.synchronizedSet(new TreeSet<>());
        Thread writer = new Thread(() -> write(source, stop, ops, hardDeleted), "kill-writer");
        writer.start();
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
            stop.set(true);
            writer.join();
        }
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
        assertTrue(kills >= KILLS - 1 && ops.get() > 40, "killed " + kills + " times under " + ops + " writes");
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

    /** Random writes, including long and prepared transactions and updates committed out of cursor order. */
    private static void write(PgTestDb db, AtomicBoolean stop, AtomicLong ops, Set<Long> hardDeleted) {
        Random rnd = new Random(42);
        long nextId = ROWS + 1;
        int prepared = 0;
        try (Connection c = db.connect(); Connection a = db.connect(); Connection b = db.connect()) {
            while (!stop.get()) {
                long id = 1 + rnd.nextInt(ROWS);
                try (Statement st = c.createStatement()) {
                    switch (rnd.nextInt(12)) {
                        case 0, 1, 2 -> st.execute("INSERT INTO orders (id, customer, amount) VALUES (" + (nextId++) + ", 'new', 9.99)");
                        case 3, 4, 5 -> st.execute("UPDATE orders SET amount = amount + 1, updated_at = now() WHERE id = " + id);
                        case 6 -> st.execute("UPDATE orders SET is_deleted = true, updated_at = now() WHERE id = " + id);
                        case 7 -> {
                            if (st.executeUpdate("DELETE FROM orders WHERE id = " + id) > 0) {
                                hardDeleted.add(id);
                            }
                        }
                        case 8 -> {
                            // a long transaction: its rows carry its start time and commit a second later
                            a.setAutoCommit(false);
                            try (Statement sa = a.createStatement()) {
                                sa.execute("UPDATE orders SET customer = 'long', updated_at = now() WHERE id = " + id);
                                sa.execute("INSERT INTO orders (id, customer, amount) VALUES (" + (nextId++) + ", 'long', 1)");
                            }
                            sleep(600 + rnd.nextInt(600));
                            a.commit();
                            a.setAutoCommit(true);
                        }
                        case 9 -> {
                            // out of cursor order: A starts and later updates the row B updated and committed meanwhile
                            a.setAutoCommit(false);
                            try (Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
                                sa.execute("SELECT txid_current()");
                                sleep(30);
                                sb.execute("UPDATE orders SET customer = 'B', updated_at = now() WHERE id = " + id);
                                sa.execute("UPDATE orders SET customer = 'A later', updated_at = now() WHERE id = " + id);
                            }
                            a.commit();
                            a.setAutoCommit(true);
                        }
                        case 10 -> {
                            // a prepared transaction, committed a little later
                            String gid = "kill_" + ProcessHandle.current().pid() + "_" + (prepared++);
                            a.setAutoCommit(false);
                            try (Statement sa = a.createStatement()) {
                                sa.execute("UPDATE orders SET customer = 'prepared', updated_at = now() WHERE id = " + id);
                                sa.execute("PREPARE TRANSACTION '" + gid + "'");
                            }
                            a.setAutoCommit(true);
                            sleep(300 + rnd.nextInt(500));
                            st.execute("COMMIT PREPARED '" + gid + "'");
                        }
                        default -> st.execute("UPDATE orders SET is_deleted = false, updated_at = now() WHERE id = " + id);
                    }
                }
                ops.incrementAndGet();
                sleep(5);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }
}
