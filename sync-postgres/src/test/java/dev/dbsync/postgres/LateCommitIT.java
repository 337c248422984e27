package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Late commits: writers set {@code updated_at = now()} (their transaction's start) and some keep their
 * transaction open for a while before committing, so their rows become visible with a cursor value older
 * than rows other writers committed meanwhile. Incremental syncs run all the time; afterwards the target
 * must equal the source row by row. Without the safe bound, a sync that read the younger rows moves its
 * position past the old timestamps and the late rows are lost.
 */
class LateCommitIT {

    @Test
    void concurrentLongTransactionsAreNeverSkipped() throws Exception {
        PgTestDb source = PgTestDb.create("late");
        PgTestDb target = PgTestDb.create("latedst");
        source.exec("CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL, writer int,"
                + " updated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE INDEX accounts_updated ON accounts (updated_at, id)",
                "INSERT INTO accounts SELECT g, 0, 0, now() - interval '1 hour' FROM generate_series(1, 2000) g");
        TableSync table = TableSync.incremental(TableSpec.of("public.accounts").withCursor("updated_at"));
        CheckpointStore store = CheckpointStores.memory();

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong nextId = new AtomicLong(1_000_000);
        AtomicLong slowCommits = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int w = 1; w <= 4; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                try (Connection c = source.connect(); Statement st = c.createStatement()) {
                    c.setAutoCommit(false);
                    while (!stop.get()) {
                        // inserts and updates stamped with now() = this transaction's start
                        st.executeUpdate("INSERT INTO accounts (id, balance, writer, updated_at) VALUES ("
                                + nextId.incrementAndGet() + ", 1, " + writer + ", now())");
                        st.executeUpdate("UPDATE accounts SET balance = balance + 1, writer = " + writer
                                + ", updated_at = now() WHERE id = " + (1 + rnd.nextInt(2000)));
                        boolean slow = writer <= 2 && rnd.nextInt(3) == 0;
                        Thread.sleep(slow ? 200 + rnd.nextInt(400) : rnd.nextInt(5));
                        c.commit();
                        if (slow) {
                            slowCommits.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "writer-" + w);
            writers.add(t);
            t.start();
        }
        int syncs = 0;
        long end = System.nanoTime() + 8_000_000_000L;
        try (PostgresSource src = new PostgresSource(source.factory());
             PostgresSink sink = new PostgresSink(target.factory(), "public", true, null)) {
            while (System.nanoTime() < end) {
                SyncReport r = SyncEngine.builder().pipeline("late").source(src).sink(sink).checkpointStore(store)
                        .table(table).batchRows(100).build().runOnce();
                assertTrue(r.succeeded(), r::toText);
                syncs++;
            }
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError("a writer failed", failure.get());
            }
            Thread.sleep(50);
            SyncReport last = SyncEngine.builder().pipeline("late").source(src).sink(sink).checkpointStore(store)
                    .table(table).build().runOnce();
            assertTrue(last.succeeded(), last::toText);
            TableSchema schema = src.describe(TableSpec.of("public.accounts"));
            List<Map<String, Object>> expected = source.rows(schema, "public.accounts");
            List<Map<String, Object>> actual = target.rows(schema, "public.accounts");
            assertTrue(syncs >= 10, "syncs ran while writing: " + syncs);
            assertTrue(slowCommits.get() >= 5, "long transactions committed late: " + slowCommits.get());
            assertTrue(expected.size() > 2100, "rows were inserted: " + expected.size());
            assertEquals(expected.size(), actual.size(), "row count after " + syncs + " syncs");
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i), actual.get(i), "row " + i + " after " + syncs + " syncs");
            }
        }
    }
}
