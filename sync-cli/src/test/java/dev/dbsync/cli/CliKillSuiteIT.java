package dev.dbsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.OrdersChurn;
import dev.dbsync.testkit.PostgresServer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code dbsync} command line itself, killed: {@code dbsync run pipeline.yaml --watch} in a separate process,
 * a PostgreSQL change feed into two sinks from one read (a PostgreSQL database and ClickHouse), SIGKILLed at random
 * moments while writers insert, update, soft- and hard-delete; then {@code dbsync run} once and
 * {@code dbsync verify}, which must find both targets equal to the source (exit 0).
 */
class CliKillSuiteIT {

    private static final int ROWS = 2_000;
    private static final int KILLS = 4;

    @TempDir
    Path dir;

    @Test
    void theCommandLineKilledUnderWritesLeavesBothSinksEqualAsVerifySays() throws Exception {
        PostgresServer pg = PostgresServer.get();
        ClickHouseServer ch = ClickHouseServer.get();
        String src = pg.createDatabase("clikill_src");
        String dst = pg.createDatabase("clikill_dst");
        OrdersChurn.createOrders(src, ROWS);
        String slot = "clikill_" + ProcessHandle.current().pid();
        String table = "orders_" + slot;
        Path file = dir.resolve("fan-out.yaml");
        Files.writeString(file, String.format("""
                pipeline: cli-kill
                source: { type: postgres, url: "%s", user: %s, %s slot.name: %s, publication.name: %s }
                sinks:
                  pg: { type: postgres, url: "%s", user: %s %s }
                  olap: { type: clickhouse, url: "%s", database: %s %s %s }
                checkpoints: { type: file, dir: "%s" }
                tables:
                  - { table: public.orders, strategy: cdc, softDelete: is_deleted, target: %s }
                engine: { batch.rows: 500, poll.interval: 200ms, stream.idle: 500ms, lease.wait: 30s }
                """, src, pg.username(), pg.password() == null ? "" : "password: \"" + pg.password() + "\",", slot, slot,
                dst, pg.username(), pg.password() == null ? "" : ", password: \"" + pg.password() + "\"",
                ch.httpUrl(), ch.database(), ch.username() == null ? "" : ", user: " + ch.username(),
                ch.password() == null ? "" : ", password: \"" + ch.password() + "\"", dir.resolve("cp"), table));
        Random rnd = new Random(5);
        int kills = 0;
        OrdersChurn churn = OrdersChurn.start(src, ROWS, 23);
        try {
            for (int k = 0; k < KILLS; k++) {
                Process child = child(file, Path.of("target/cli-kill-" + k + ".log"));
                if (k == 0) {
                    // the first kill waits until the process has written rows (a loaded machine starts JVMs slowly)
                    long deadline = System.nanoTime() + 90_000_000_000L;
                    while (rows(pg, dst, table) == 0 && child.isAlive() && System.nanoTime() < deadline) {
                        Thread.sleep(200);
                    }
                }
                Thread.sleep(3_000 + rnd.nextInt(2_500));
                if (child.isAlive()) {
                    child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no last flush
                    kills++;
                }
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed process ended");
            }
        } finally {
            churn.close();
        }
        long synced = rows(pg, dst, table);
        assertTrue(synced > 0, "the killed processes synced rows before the final run");
        Cli last = Cli.run("run", file.toString(), "--no-progress");
        assertEquals(ExitCodes.OK, last.code(), last.toString());
        assertTrue(last.out().contains("CURRENT"), "both sinks current: " + last);
        Cli verify = Cli.run("verify", file.toString());
        assertEquals(ExitCodes.OK, verify.code(), verify.toString());
        assertTrue(verify.out().contains("sink pg:") && verify.out().contains("sink olap:"), verify.toString());
        assertTrue(verify.out().contains("dbsync: OK pipeline cli-kill: source and targets are equal"), verify.toString());
        assertTrue(kills >= KILLS - 1 && churn.operations() > 40, "killed " + kills + " times under " + churn.operations() + " writes");
        System.out.println("CLI kill suite: " + kills + " kills of 'dbsync run --watch', " + churn.operations()
                + " writer operations, " + churn.hardDeleted().size() + " hard deletes; verify: both sinks equal");
        Cli drop = Cli.run("drop", file.toString(), "--yes");
        assertEquals(ExitCodes.OK, drop.code(), drop.toString());
    }

    /** Rows in the PostgreSQL target table; 0 before it exists. */
    private static long rows(PostgresServer pg, String url, String table) throws Exception {
        try (Connection c = pg.connect(url); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM \"" + table + "\"")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException missing) {
            return 0;
        }
    }

    private static Process child(Path file, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                DbsyncCli.class.getName(), "run", file.toString(), "--watch", "--no-progress"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File(log.toString())).start();
    }
}
