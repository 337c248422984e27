package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SinkReport;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.GatedSink;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A sink added to a running PostgreSQL pipeline (real server, real slot): the other sink keeps streaming while the new
 * one is snapshotted; the slot is not acknowledged past where the new sink's snapshot began (pgjdbc's keepalive
 * flush and the stream's heartbeat included); the new sink is then brought up by the slot and joins.
 */
class FanOutJoinIT {

    @Test
    void theOtherSinkStreamsWhileANewOneIsSnapshottedAndTheSlotKeepsWhatTheNewOneNeeds() throws Exception {
        CdcFixture source = new CdcFixture("join_src");
        PgTestDb a = PgTestDb.create("join_a");
        PgTestDb c = PgTestDb.create("join_c");
        String slot = "join_" + ProcessHandle.current().pid();
        source.exec("CREATE TABLE items (id bigint PRIMARY KEY, v text, updated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE events (id bigint PRIMARY KEY, v text)",
                "INSERT INTO items (id, v) SELECT g, 'item ' || g FROM generate_series(1, 300) g",
                "INSERT INTO events SELECT g, 'event ' || g FROM generate_series(1, 300) g");
        CheckpointStore store = CheckpointStores.memory();
        try {
            try (SyncEngine first = builder(source, slot, store).sink("a", sink(a)).build()) {
                SyncReport r = first.runOnce();
                assertTrue(r.succeeded(), r.toText());
            }
            source.exec("UPDATE events SET v = 'changed 1' WHERE id = 5", "DELETE FROM events WHERE id = 6",
                    "INSERT INTO events VALUES (1001, 'new 1')", "UPDATE items SET v = 'changed 1', updated_at = now() WHERE id = 3");
            String confirmed = confirmedFlush(source, slot);

            GatedSink gated = new GatedSink(sink(c), "events");
            SyncEngine e = builder(source, slot, store).sink("a", sink(a)).sink("c", gated).pollInterval(Duration.ofMillis(300)).build();
            e.start();
            assertTrue(gated.entered.await(60, TimeUnit.SECONDS), "c's snapshot of events began");
            source.exec("UPDATE events SET v = 'changed 2' WHERE id = 5", "DELETE FROM events WHERE id = 7",
                    "INSERT INTO events VALUES (1002, 'new 2')", "UPDATE items SET v = 'changed 2', updated_at = now() WHERE id = 4");
            await("a equals the source while c is being snapshotted", () -> equal(source, a, "events") && equal(source, a, "items"));
            assertEquals(confirmed, confirmedFlush(source, slot), "the slot is held where c's snapshot began");
            assertTrue(!equal(source, c, "events"), "c is still being snapshotted");
            // the process stops (c's write in progress completes first); c is behind, with the slot still held for it
            Thread stopper = new Thread(e::close);
            stopper.start();
            Thread.sleep(300);
            gated.gate.countDown();
            stopper.join(60_000);
            assertEquals(confirmed, confirmedFlush(source, slot));

            // the next process: the feed reopens where a is, well past where c began, and stays quiet while c's own
            // read of items waits; keepalives and the stream's heartbeat (1 s here) must not move the slot meanwhile
            source.exec("CREATE TABLE unrelated (id bigint)");
            GatedSink again = new GatedSink(sink(c), "items");
            try (SyncEngine next = builder(source, slot, store).sink("a", sink(a)).sink("c", again)
                    .pollInterval(Duration.ofMillis(300)).build()) {
                next.start();
                try {
                    assertTrue(again.entered.await(60, TimeUnit.SECONDS), "c's read of items resumed");
                    for (int i = 0; i < 6; i++) {
                        source.exec("INSERT INTO unrelated SELECT g FROM generate_series(1, 1000) g");
                        Thread.sleep(500);
                    }
                    assertEquals(confirmed, confirmedFlush(source, slot), "the slot is still held where c's snapshot began");
                } finally {
                    again.gate.countDown();
                }
                await("c is brought up and joins", () -> equal(source, c, "events") && equal(source, c, "items")
                        && next.lastReport() != null && next.lastReport().sink("c").succeeded());
                source.exec("UPDATE events SET v = 'changed 3' WHERE id = 5", "INSERT INTO events VALUES (1003, 'new 3')",
                        "UPDATE items SET v = 'changed 3', updated_at = now() WHERE id = 5");
                await("both sinks equal the source", () -> equal(source, a, "events") && equal(source, c, "events")
                        && equal(source, a, "items") && equal(source, c, "items"));
                await("the slot is acknowledged again", () -> !confirmed.equals(confirmedFlush(source, slot)));
                next.stop();
                SyncReport last = next.lastReport();
                assertNotEquals(SinkReport.State.BEHIND, last.sink("c").state(), last::toText);
            }
        } finally {
            new PgReplication(source.connections, slot, slot).dropSlot();
        }
    }

    private static SyncEngine.Builder builder(CdcFixture source, String slot, CheckpointStore store) {
        PostgresSource src = new PostgresSource(source.connections, "public", Duration.ZERO, slot, slot, Duration.ofSeconds(1));
        return SyncEngine.builder().pipeline("join").source(src).checkpointStore(store)
                .table(TableSync.incremental(TableSpec.of("public.items").withCursor("updated_at")))
                .table(TableSync.cdc(TableSpec.of("public.events")))
                .streamIdle(Duration.ofMillis(300));
    }

    private static Sink sink(PgTestDb target) {
        return new PostgresSink(target.factory(), "public", true, null);
    }

    private static String confirmedFlush(CdcFixture source, String slot) {
        return rows(source.url, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'").toString();
    }

    private static boolean equal(CdcFixture source, PgTestDb target, String table) {
        String sql = "SELECT id, v FROM " + table + " ORDER BY id";
        try {
            return rows(source.url, sql).equals(rows(target.url, sql));
        } catch (IllegalStateException e) {
            return false; // the target table is not created yet
        }
    }

    private static List<String> rows(String url, String sql) {
        try (Connection conn = dev.dbsync.testkit.PostgresServer.get().connect(url); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    b.append(rs.getString(i)).append('|');
                }
                out.add(b.toString());
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(100);
        }
    }
}
