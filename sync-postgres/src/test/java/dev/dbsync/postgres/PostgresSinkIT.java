package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.testkit.PostgresServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Sink behaviour beyond the contract: the direct-COPY fast path and its fallback, hostile names, errors. */
class PostgresSinkIT {

    private static final PgTestDb DB = PgTestDb.create("sinkit");

    private static TableSchema schema(String name) {
        return new TableSchema(name, List.of(Column.required("id", LogicalType.INT64), Column.of("v", LogicalType.STRING)),
                List.of("id"));
    }

    private static List<ChangeEvent> rows(String table, int n, String value) {
        List<ChangeEvent> out = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            out.add(ChangeEvent.upsert(table, new Object[] {i}, new Object[] {i, value + i}, 0, Position.of(i)));
        }
        return out;
    }

    @Test
    void largeInsertBatchesReplayedOrUpdatedFallBackToTheUpsert() {
        TableSchema s = schema("bulk");
        try (PostgresSink sink = new PostgresSink(DB.factory(), "public", true, null); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, rows("bulk", 5000, "a")));
            w.write(Batch.of(s, rows("bulk", 5000, "a")));
            assertEquals(5000, DB.count("SELECT count(*) FROM bulk"));
            w.write(Batch.of(s, rows("bulk", 6000, "b")));
            assertEquals(6000, DB.count("SELECT count(*) FROM bulk WHERE v LIKE 'b%'"));
            List<Map<String, Object>> r = DB.rows(s, "public.bulk");
            assertEquals("b4321", r.get(4320).get("v"));
        }
    }

    @Test
    void aReplacementIsLoadedAsideAndSwappedInWhole() {
        TableSchema s = schema("replaced");
        DB.exec("CREATE TABLE IF NOT EXISTS replaced (id bigint PRIMARY KEY, v text)",
                "CREATE OR REPLACE VIEW replaced_view AS SELECT id, v FROM replaced");
        try (PostgresSink sink = new PostgresSink(DB.factory(), "public", true, null)) {
            try (TableWriter w = sink.open(s)) {
                w.write(Batch.of(s, rows("replaced", 10, "old")));
                w.beginReplacement();
                w.write(Batch.of(s, rows("replaced", 3, "new")));
            }
            assertEquals(10, DB.count("SELECT count(*) FROM replaced"), "readers see the old rows while the new ones load");
            assertEquals(3, DB.count("SELECT count(*) FROM replaced__dbsync_new"));
            try (TableWriter w = sink.open(s)) {
                assertTrue(w.resumeReplacement(), "a later process continues the replacement");
                w.write(Batch.of(s, List.of(ChangeEvent.upsert("replaced", new Object[] {4L}, new Object[] {4L, "new4"}, 0,
                        Position.of(4L)))));
                w.commitReplacement();
                w.write(Batch.of(s, List.of(ChangeEvent.upsert("replaced", new Object[] {5L}, new Object[] {5L, "after"}, 0,
                        Position.of(5L)))));
            }
            assertEquals(5, DB.count("SELECT count(*) FROM replaced_view"), "the view on the table still works");
            assertEquals(4, DB.count("SELECT count(*) FROM replaced WHERE v LIKE 'new%'"));
            assertEquals(0, DB.count("SELECT count(*) FROM pg_tables WHERE tablename = 'replaced__dbsync_new'"));
            try (TableWriter w = sink.open(s)) {
                assertTrue(!w.resumeReplacement(), "swapped in already: nothing to resume");
            }
        }
    }

    @Test
    void hostileNamesAreQuotedEverywhere() {
        String table = "x\"; DROP TABLE victim; --";
        DB.exec("CREATE TABLE IF NOT EXISTS victim (id int)");
        TableSchema s = new TableSchema(table, List.of(Column.required("id\"); --", LogicalType.INT64),
                Column.of("Größe \"q\"", LogicalType.STRING)), List.of("id\"); --"));
        try (PostgresSink sink = new PostgresSink(DB.factory(), "public", true, null); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, List.of(
                    ChangeEvent.upsert(table, new Object[] {1L}, new Object[] {1L, "tab\there\nnew line \\ back"}, 0, Position.of(1L)),
                    ChangeEvent.upsert(table, new Object[] {2L}, new Object[] {2L, "two"}, 0, Position.of(2L)))));
            w.write(Batch.of(s, List.of(ChangeEvent.delete(table, new Object[] {2L}, null, 0, Position.of(2L)))));
            List<Map<String, Object>> rows = DB.rows(s, new PgName("public", table).sql());
            assertEquals(1, rows.size());
            assertEquals("tab\there\nnew line \\ back", rows.get(0).get("Größe \"q\""));
        }
        assertEquals(0, DB.count("SELECT count(*) FROM victim"), "the victim table still exists");
    }

    @Test
    void badValuesAreDataErrorsNamingTableAndKey() {
        TableSchema s = new TableSchema("typed", List.of(Column.required("id", LogicalType.INT64),
                Column.of("n", LogicalType.INT32)), List.of("id"));
        try (PostgresSink sink = new PostgresSink(DB.factory(), "public", true, null); TableWriter w = sink.open(s)) {
            DataException e = assertThrows(DataException.class, () -> w.write(Batch.of(s, List.of(
                    ChangeEvent.upsert("typed", new Object[] {1L}, new Object[] {1L, 5}, 0, Position.of(1L)),
                    ChangeEvent.upsert("typed", new Object[] {7L}, new Object[] {7L, "not a number"}, 0, Position.of(7L))))));
            assertTrue(e.getMessage().contains("public.typed") && e.getMessage().contains("[7]"), e.getMessage());
            assertEquals(0, DB.count("SELECT count(*) FROM typed"), "the failed batch left nothing behind");
        }
    }

    @Test
    void checkpointsAreWrittenInTheBatchTransaction() {
        TableSchema s = schema("withcp");
        Lease lease;
        try (PostgresSink sink = new PostgresSink(DB.factory(), "public", true, "dbsync_checkpoint"); TableWriter w = sink.open(s)) {
            var store = sink.checkpointStore().orElseThrow();
            lease = store.acquire("p", "test:1");
            w.write(Batch.of(s, rows("withcp", 1, "a"), CheckpointUpdate.of(lease, "public.src", "c1")));
            assertEquals("c1", store.load("p", "public.src").orElseThrow(), "written with the data, before the engine saves");
            // the engine has not saved c2 yet (a crash right after the commit): the store already has it
            w.write(Batch.of(s, rows("withcp", 2, "a"), CheckpointUpdate.of(lease, "public.src", "c2")));
            assertEquals("c2", store.load("p", "public.src").orElseThrow());
        }
        try (PostgresSink sink = new PostgresSink(DB.factory(), "public", true, "dbsync_checkpoint"); TableWriter w = sink.open(s)) {
            var store = sink.checkpointStore().orElseThrow();
            assertEquals("c2", store.load("p", "public.src").orElseThrow(), "a new sink loads what the transaction wrote");
            Lease next = store.acquire("p", "test:2");
            w.write(Batch.of(s, rows("withcp", 3, "b"), CheckpointUpdate.of(next, "public.src", "c3")));
            assertEquals("c3", store.load("p", "public.src").orElseThrow(), "written with the data after a restart");
            // the first process's lease is fenced out: its batch and checkpoint are both refused
            assertThrows(LeaseException.class, () -> w.write(Batch.of(s, rows("withcp", 4, "old"),
                    CheckpointUpdate.of(lease, "public.src", "stale"))));
            assertEquals("c3", store.load("p", "public.src").orElseThrow());
            assertEquals(0, DB.count("SELECT count(*) FROM withcp WHERE v LIKE 'old%'"), "the fenced batch left no row");
            store.release(next);
        }
    }

    @Test
    void aFailureOtherThanSqlInsideTheTransactionRollsItBackSoTheRetrySucceeds() {
        TableSchema s = schema("fails_mid_batch");
        AtomicBoolean failCheckpoint = new AtomicBoolean();
        PostgresServer server = PostgresServer.get();
        PgConnectionFactory faulty = new PgConnectionFactory(DB.url, server.username(), server.password()) {
            @Override
            Connection open() {
                Connection real = super.open();
                return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                        (proxy, method, args) -> {
                            if (method.getName().equals("prepareStatement") && failCheckpoint.get()
                                    && String.valueOf(args[0]).contains("dbsync_checkpoint")) {
                                throw new RetriableException("checkpoint store unreachable");
                            }
                            try {
                                return method.invoke(real, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
            }
        };
        try (PostgresSink sink = new PostgresSink(faulty, "public", true, "dbsync_checkpoint"); TableWriter w = sink.open(s)) {
            assertEquals(1, DB.count("SELECT count(*) FROM pg_tables WHERE tablename = 'dbsync_checkpoint'"),
                    "the checkpoint table is created when the target is opened");
            Lease lease = sink.checkpointStore().orElseThrow().acquire("p_mid", "test:1");
            Batch batch = Batch.of(s, rows("fails_mid_batch", 3, "a"), CheckpointUpdate.of(lease, "fails_mid_batch", "cp3"));
            failCheckpoint.set(true);
            assertThrows(RetriableException.class, () -> w.write(batch));
            assertEquals(0, DB.count("SELECT count(*) FROM fails_mid_batch"));
            failCheckpoint.set(false);
            // the engine retries the same batch: the staged rows of the failed attempt must be gone
            w.write(batch);
            assertEquals(3, DB.count("SELECT count(*) FROM fails_mid_batch"));
            assertEquals(0, DB.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND state = 'idle in transaction'"), "no transaction is left open");
        }
    }
}
