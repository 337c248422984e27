package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.CrashPoint;
import dev.dbsync.testkit.CrashingSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL → PostgreSQL with the CDC strategy through {@link SyncEngine}: snapshot while writers change the
 * source, streaming, the process killed twice mid-stream (after a write before its flush, and after a flush
 * before its checkpoint), then a clean run: the target equals the source row by row.
 */
class PostgresCdcEndToEndIT {

    private static final TableSpec ORDERS = TableSpec.of("public.orders").withSoftDelete("is_deleted");
    private static final TableSpec ITEMS = TableSpec.of("public.order_items");

    @TempDir
    Path checkpoints;

    @Test
    void snapshotThenStreamSurvivesCrashesAndTargetEqualsSource() throws Exception {
        CdcFixture source = new CdcFixture("cdc_e2e_source");
        CdcFixture target = new CdcFixture("cdc_e2e_target");
        String slot = "e2e_" + ProcessHandle.current().pid();
        source.exec("CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2),"
                        + " note text, tags text[], updated_at timestamptz NOT NULL DEFAULT now(),"
                        + " is_deleted boolean NOT NULL DEFAULT false)",
                "CREATE TABLE order_items (order_id bigint, line int, qty int, price numeric(10,2), PRIMARY KEY (order_id, line))",
                "INSERT INTO orders (id, customer, amount, note, tags) SELECT i, 'c' || (i % 97), i * 1.25,"
                        + " CASE WHEN i % 500 = 0 THEN (SELECT string_agg(md5(j::text || i), '') FROM generate_series(1, 2000) j)"
                        + " ELSE 'n' || i END, ARRAY['t' || (i % 5)] FROM generate_series(1, 3000) i",
                "INSERT INTO order_items SELECT i, l, l, l * 2.5 FROM generate_series(1, 3000) i, generate_series(1, 2) l");

        AtomicBoolean stopWriting = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        Thread writer = new Thread(() -> write(source, stopWriting, writes), "e2e-writer");
        writer.start();
        try {
            // run 1: snapshot, then streaming until a write lands in the target and the process dies before its flush
            CrashingSink crash1 = new CrashingSink(sink(target), CrashPoint.AFTER_WRITE, 14);
            SyncReport r1 = run(source, slot, crash1);
            assertTrue(crash1.crashed(), "run 1 crashed mid-stream: " + r1.toText());
            assertFalse(r1.succeeded());
            CdcFixture.sleep(500);

            // run 2: resumes from the saved feed position; dies after a flush, before the checkpoint is saved
            CrashingSink crash2 = new CrashingSink(sink(target), CrashPoint.AFTER_FLUSH, 6);
            SyncReport r2 = run(source, slot, crash2);
            assertTrue(crash2.crashed(), "run 2 crashed mid-stream: " + r2.toText());
            CdcFixture.sleep(1500);
        } finally {
            stopWriting.set(true);
            writer.join();
        }
        assertTrue(writes.get() > 50, "writers changed the source during the runs: " + writes.get());

        // run 3: catches up and stops once the feed is idle
        SyncReport r3 = run(source, slot, sink(target));
        assertTrue(r3.succeeded(), r3.toText());
        assertTrue(r3.rowsRead() > 0, "run 3 streamed the rest: " + r3.toText());
        // the report shows what the slot retains and how far behind it is: caught up, nothing left to read
        assertTrue(r3.feed() != null && r3.feed().status().detail().contains("'" + slot + "'"), r3.toText());
        assertTrue(r3.feed().status().retainedBytes() >= 0 && r3.feed().status().lagBytes() >= 0, r3.toText());
        assertTrue(r3.toText().contains("change feed: retains "), r3.toText());
        assertFalse(r3.feed().aboveWarning(), r3.toText());

        try {
            for (TableSpec spec : List.of(ORDERS, ITEMS)) {
                TableSchema schema = source.describe(spec);
                Map<List<Object>, List<Object>> expected = rows(source, spec, schema);
                TableSpec targetSpec = TableSpec.of(spec.table().substring("public.".length()));
                Map<List<Object>, List<Object>> actual = rows(target, targetSpec, target.describe(targetSpec));
                assertEquals(expected.size(), actual.size(), spec.table() + ": row count");
                assertEquals(expected, actual, spec.table() + ": target equals source row by row");
            }
            assertTrue(source.queryLong("SELECT count(*) FROM orders WHERE is_deleted") > 0,
                    "soft-deleted rows exist in the source and are absent from the target");
        } finally {
            new PgReplication(source.connections, slot, slot).dropSlot();
        }
    }

    private SyncReport run(CdcFixture source, String slot, Sink sink) {
        PostgresSource src = new PostgresSource(source.connections, "public", Duration.ZERO, slot, slot);
        try (SyncEngine engine = SyncEngine.builder()
                .pipeline("cdc_e2e")
                .source(src)
                .sink(sink)
                .checkpointStore(CheckpointStores.file(checkpoints))
                .table(TableSync.cdc(ORDERS))
                .table(TableSync.cdc(ITEMS))
                .batchRows(1000)
                .streamIdle(Duration.ofSeconds(2))
                .build()) {
            return engine.runOnce();
        }
    }

    private static Sink sink(CdcFixture target) {
        return new PostgresSink(target.connections, "public", true, null);
    }

    /** Every row of a table through the source's snapshot path; soft-deleted rows are left out. */
    private static Map<List<Object>, List<Object>> rows(CdcFixture db, TableSpec spec, TableSchema schema) {
        Map<List<Object>, List<Object>> rows = new java.util.LinkedHashMap<>();
        try (PostgresSource s = new PostgresSource(db.connections)) {
            dev.dbsync.spi.Position after = null;
            while (true) {
                dev.dbsync.spi.Chunk c = s.readSnapshot(spec, schema, after, 10_000);
                PgReplicationIT.apply(rows, c.events());
                if (c.last() || c.events().isEmpty()) {
                    return rows;
                }
                after = c.next();
            }
        }
    }

    /** Inserts, updates (also of large TOASTed notes' neighbours), soft and hard deletes, key changes. */
    private static void write(CdcFixture db, AtomicBoolean stop, AtomicLong writes) {
        Random rnd = new Random(42);
        long nextId = 100_000;
        while (!stop.get()) {
            int op = rnd.nextInt(10);
            long id = 1 + rnd.nextInt(3000);
            switch (op) {
                case 0, 1 -> {
                    long n = nextId++;
                    db.transaction("INSERT INTO orders (id, customer, amount, note) VALUES (" + n + ", 'new', 9.99, 'fresh')",
                            "INSERT INTO order_items VALUES (" + n + ", 1, 1, 9.99), (" + n + ", 2, 3, 1.50)");
                }
                case 2, 3 -> db.exec("UPDATE orders SET amount = amount + 1, updated_at = now() WHERE id = " + id);
                // rows with a large note: only another column changes, the note stays unchanged TOAST
                case 4 -> db.exec("UPDATE orders SET customer = 'toast' || " + rnd.nextInt(100) + " WHERE id = " + (500 * (1 + rnd.nextInt(6))));
                case 5 -> db.exec("UPDATE orders SET is_deleted = true WHERE id = " + id);
                case 6 -> db.exec("DELETE FROM order_items WHERE order_id = " + id + " AND line = 2");
                case 7 -> db.transaction("UPDATE order_items SET qty = qty + 1 WHERE order_id BETWEEN " + id + " AND " + (id + 40),
                        "UPDATE orders SET tags = tags || 'x'::text WHERE id BETWEEN " + id + " AND " + (id + 40));
                case 8 -> db.exec("UPDATE order_items SET line = line + 10 WHERE order_id = " + id + " AND line = 1");
                default -> db.exec("DELETE FROM orders WHERE id = " + id);
            }
            writes.incrementAndGet();
            CdcFixture.sleep(5);
        }
    }
}
