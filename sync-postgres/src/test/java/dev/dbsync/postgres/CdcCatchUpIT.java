package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A change feed far behind: the slot must first get through a lot of unrelated WAL (written in another database)
 * before it reaches the change. A run must not end "caught up, read 0" because the feed was quiet for longer than
 * {@code stream.idle} meanwhile: it goes on until everything committed before it started was delivered.
 */
class CdcCatchUpIT {

    @Test
    void aRunReachesTheLogPositionOfItsStartHoweverLongTheFeedIsQuiet() {
        CdcFixture source = new CdcFixture("catchup_src");
        CdcFixture other = new CdcFixture("catchup_other");
        String slot = "catchup_" + ProcessHandle.current().pid();
        source.exec("CREATE TABLE events (id bigint PRIMARY KEY, v text)", "INSERT INTO events VALUES (1, 'snapshot')");
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        try {
            assertTrue(run(source, slot, sink, store).succeeded());
            assertEquals(1, sink.rows("events").size());
            // about 150 MB of WAL the decoder has to read through before it reaches the next change
            other.exec("CREATE TABLE junk AS SELECT g, repeat(md5(g::text), 16) AS pad FROM generate_series(1, 250000) g");
            source.exec("INSERT INTO events VALUES (2, 'after the backlog')");
            SyncReport r = run(source, slot, sink, store);
            assertTrue(r.succeeded(), r.toText());
            assertEquals(2, sink.rows("events").size(), "the change behind the backlog arrived in the same run: " + r.toText());
        } finally {
            new PgReplication(source.connections, slot, slot).dropSlot();
        }
    }

    @Test
    void aDroppedSlotMakesTheNextRunSnapshotAgainOrFailAsConfigured() {
        CdcFixture source = new CdcFixture("lostslot_src");
        String slot = "lost_" + ProcessHandle.current().pid();
        source.exec("CREATE TABLE items (id bigint PRIMARY KEY, v text)",
                "INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 50) g");
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        try {
            assertTrue(run(source, slot, sink, store, true, "items").succeeded());
            // the slot goes away while the pipeline is down, and the changes made meanwhile with it
            new PgReplication(source.connections, slot, slot).dropSlot();
            source.exec("INSERT INTO items VALUES (51, 'new')", "UPDATE items SET v = 'changed' WHERE id = 7",
                    "DELETE FROM items WHERE id = 9");
            SyncReport failed = run(source, slot, sink, store, false, "items");
            assertTrue(!failed.succeeded() && failed.tables().get(0).error().contains("'" + slot + "' does not exist"),
                    failed.toText());
            SyncReport again = run(source, slot, sink, store, true, "items");
            assertTrue(again.succeeded(), again.toText());
            assertTrue(again.tables().get(0).snapshot(), "snapshotted again: " + again.toText());
            assertEquals(50, sink.rows("items").size());
            assertTrue(sink.rows("items").stream().anyMatch(r -> "changed".equals(r.get(1))));
            assertTrue(sink.rows("items").stream().noneMatch(r -> Long.valueOf(9).equals(r.get(0))));
            // and the feed goes on from the new slot
            source.exec("INSERT INTO items VALUES (52, 'streamed')");
            assertTrue(run(source, slot, sink, store, true, "items").succeeded());
            assertEquals(51, sink.rows("items").size());
        } finally {
            new PgReplication(source.connections, slot, slot).dropSlot();
        }
    }

    @Test
    void aColumnAddedWhileTheFeedRunsReachesEveryRowOfTheTarget() {
        CdcFixture source = new CdcFixture("addcol_src");
        PgTestDb target = PgTestDb.create("addcol_dst");
        String slot = "addcol_" + ProcessHandle.current().pid();
        source.exec("CREATE TABLE items (id bigint PRIMARY KEY, v text)",
                "INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 20) g");
        CheckpointStore store = CheckpointStores.memory();
        try {
            assertTrue(runInto(source, target, slot, store).succeeded());
            source.exec("ALTER TABLE items ADD COLUMN colour text NOT NULL DEFAULT 'blue'",
                    "UPDATE items SET colour = 'red', v = 'changed' WHERE id = 3", "INSERT INTO items VALUES (21, 'new', 'green')");
            SyncReport r = runInto(source, target, slot, store);
            assertTrue(r.succeeded(), r.toText());
            assertEquals(21, target.count("SELECT count(*) FROM items"));
            assertEquals(19, target.count("SELECT count(*) FROM items WHERE colour = 'blue'"), "rows untouched by the change get it too");
            assertEquals(1, target.count("SELECT count(*) FROM items WHERE id = 3 AND colour = 'red' AND v = 'changed'"));
            assertEquals(1, target.count("SELECT count(*) FROM items WHERE id = 21 AND colour = 'green'"));
        } finally {
            new PgReplication(source.connections, slot, slot).dropSlot();
        }
    }

    private static SyncReport runInto(CdcFixture source, PgTestDb target, String slot, CheckpointStore store) {
        PostgresSource src = new PostgresSource(source.connections, "public", Duration.ZERO, slot, slot);
        try (SyncEngine engine = SyncEngine.builder().pipeline("addcol").source(src)
                .sink(new PostgresSink(target.factory(), "public", true, null)).checkpointStore(store)
                .table(TableSync.cdc(TableSpec.of("public.items"))).streamIdle(Duration.ofMillis(300)).build()) {
            return engine.runOnce();
        }
    }

    private static SyncReport run(CdcFixture source, String slot, MemorySink sink, CheckpointStore store, boolean resnapshot,
                                  String table) {
        PostgresSource src = new PostgresSource(source.connections, "public", Duration.ZERO, slot, slot);
        try (SyncEngine engine = SyncEngine.builder()
                .pipeline("lostslot")
                .source(src)
                .sink(sink)
                .checkpointStore(store)
                .table(TableSync.cdc(TableSpec.of("public." + table)))
                .streamIdle(Duration.ofMillis(200))
                .resnapshotWhenFeedLost(resnapshot)
                .build()) {
            return engine.runOnce();
        }
    }

    private static SyncReport run(CdcFixture source, String slot, MemorySink sink, CheckpointStore store) {
        PostgresSource src = new PostgresSource(source.connections, "public", Duration.ZERO, slot, slot);
        try (SyncEngine engine = SyncEngine.builder()
                .pipeline("catchup")
                .source(src)
                .sink(sink)
                .checkpointStore(store)
                .table(TableSync.cdc(TableSpec.of("public.events")))
                .streamIdle(Duration.ofMillis(1))
                .build()) {
            return engine.runOnce();
        }
    }
}
