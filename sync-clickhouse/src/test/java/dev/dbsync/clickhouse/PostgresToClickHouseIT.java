package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.RetryPolicy;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.CrashPoint;
import dev.dbsync.testkit.CrashingSink;
import dev.dbsync.testkit.PostgresServer;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The use cases of the issue, end to end from a real PostgreSQL into the test kit's ClickHouse: a periodic
 * loader (backfill, then incremental runs on {@code COALESCE(updated_at, created_at)}, idempotent), an event
 * table partitioned by month that resumes from {@code sync_control} after a crash, and deletes that vanish
 * from FINAL queries.
 */
class PostgresToClickHouseIT {

    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    private static String pgUrl;
    private static ChConnection ch;

    @BeforeAll
    static void start() {
        pgUrl = PostgresServer.get().createDatabase("chsync");
        ch = ClickHouseTestSupport.connection();
    }

    @AfterAll
    static void stop() {
        if (ch != null) {
            ch.close();
        }
    }

    private static Connection pg() throws Exception {
        return PostgresServer.get().connect(pgUrl);
    }

    private static Source pgSource() {
        PostgresServer s = PostgresServer.get();
        Map<String, Object> config = new java.util.HashMap<>();
        config.put("url", pgUrl);
        config.put("user", s.username());
        config.put("password", s.password());
        return Connectors.load().createSource("postgres", config);
    }

    private static SyncReport run(String pipeline, Sink sink, CheckpointStore store, TableSync table, int batchRows) {
        try (Source source = pgSource()) {
            return SyncEngine.builder().pipeline(pipeline).source(source).sink(sink).checkpointStore(store).table(table)
                    .batchRows(batchRows).retryPolicy(RetryPolicy.none()).build().runOnce();
        }
    }

    private static void sql(String... statements) throws Exception {
        try (Connection c = pg(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    /** PostgreSQL rows as "id|customer|amount|cursor-instant" lines, by id, soft-deleted rows left out. */
    private static Map<Long, String> pgOrders(String table) throws Exception {
        Map<Long, String> out = new TreeMap<>();
        try (Connection c = pg(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, customer, amount, coalesce(updated_at, created_at) FROM " + table + " WHERE NOT is_deleted")) {
            while (rs.next()) {
                out.put(rs.getLong(1), rs.getString(2) + "|" + rs.getBigDecimal(3).toPlainString() + "|"
                        + rs.getObject(4, java.time.OffsetDateTime.class).toInstant());
            }
        }
        return out;
    }

    private static Map<Long, String> chOrders(TableSchema target) {
        Map<Long, String> out = new TreeMap<>();
        for (Map<String, Object> r : ClickHouseTestSupport.liveRows(ch, target, null)) {
            Object cursor = r.get("updated_at") != null ? r.get("updated_at") : r.get("created_at");
            out.put((Long) r.get("id"), r.get("customer") + "|" + ((BigDecimal) r.get("amount")).toPlainString() + "|" + cursor);
        }
        return out;
    }

    @Test
    void periodicLoaderBackfillsThenLoadsChangesAndASecondRunChangesNothing() throws Exception {
        String table = "orders_" + RUN;
        sql("CREATE TABLE " + table + " (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2) NOT NULL, "
                        + "created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz, is_deleted boolean NOT NULL DEFAULT false)",
                "INSERT INTO " + table + " (id, customer, amount, created_at) SELECT g, 'c' || g, g * 1.25, "
                        + "now() - interval '1 day' + g * interval '1 second' FROM generate_series(1, 2000) g");
        String target = "loader_" + RUN;
        TableSync sync = TableSync.incremental(TableSpec.of("public." + table).withCursor("updated_at", "created_at")
                .withSoftDelete("is_deleted")).withTarget(target);
        try (ClickHouseSink sink = ClickHouseTestSupport.sink()) {
            CheckpointStore store = sink.checkpointStore().orElseThrow();
            String pipeline = "loader_" + RUN;

            SyncReport backfill = run(pipeline, sink, store, sync, 700);
            assertTrue(backfill.succeeded(), backfill::toText);
            assertTrue(backfill.table("public." + table).snapshot(), "an empty target starts with a full backfill");
            TableSchema schema = new TableSchema(target, List.of(Column.required("id", LogicalType.INT64),
                    Column.required("customer", LogicalType.STRING), Column.decimal("amount", 12, 2),
                    Column.required("created_at", LogicalType.TIMESTAMP_TZ), Column.of("updated_at", LogicalType.TIMESTAMP_TZ),
                    Column.required("is_deleted", LogicalType.BOOLEAN)), List.of("id"));
            assertEquals(pgOrders(table), chOrders(schema));
            assertTrue(store.load(pipeline, "public." + table).isPresent(), "checkpoint kept in sync_control");

            // new rows carry only created_at; changed and soft-deleted rows carry updated_at
            sql("INSERT INTO " + table + " (id, customer, amount) SELECT g, 'new' || g, 3.50 FROM generate_series(2001, 2030) g",
                    "UPDATE " + table + " SET customer = 'changed', amount = amount + 100, updated_at = now() WHERE id % 200 = 0",
                    "UPDATE " + table + " SET is_deleted = true, updated_at = now() WHERE id IN (3, 4, 5)");
            Thread.sleep(300); // past the source's late-commit bound
            SyncReport incremental = run(pipeline, sink, store, sync, 700);
            assertTrue(incremental.succeeded(), incremental::toText);
            assertFalse(incremental.table("public." + table).snapshot());
            assertEquals(30 + 10 + 3, incremental.rowsRead(), incremental.toText());
            assertEquals(3, incremental.deleted());
            Map<Long, String> expected = pgOrders(table);
            assertEquals(2027, expected.size());
            assertEquals(expected, chOrders(schema));

            long physical = ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + Sql.table(ch.settings().database, target));
            SyncReport again = run(pipeline, sink, store, sync, 700);
            assertTrue(again.succeeded(), again::toText);
            assertEquals(0, again.rowsRead(), "a second run in a row finds nothing: " + again.toText());
            assertEquals(physical, ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + Sql.table(ch.settings().database, target)),
                    "and writes nothing");
            assertEquals(expected, chOrders(schema));
        }
    }

    @Test
    void activityLogsArePartitionedByMonthKeepJsonAndResumeAfterACrash() throws Exception {
        String table = "activity_logs_" + RUN;
        sql("CREATE TABLE " + table + " (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, event_name text NOT NULL, "
                        + "user_id bigint, properties jsonb)",
                "INSERT INTO " + table + " SELECT g, timestamptz '2024-01-01 00:00:00+00' + g * interval '30 minutes', "
                        + "'event' || (g % 7), g % 100, jsonb_build_object('page', '/p/' || g, 'ref', jsonb_build_object('src', 's' || (g % 3))) "
                        + "FROM generate_series(1, 6000) g");
        String target = table;
        ClickHouseSettings settings = ClickHouseTestSupport.sinkSettings(
                "partition.by", target + ":toYYYYMM(created_at)", "order.by", target + ":(created_at, id)");
        TableSync sync = TableSync.incremental(TableSpec.of("public." + table).withCursor("created_at"));
        String pipeline = "events_" + RUN;
        try (ClickHouseSink real = new ClickHouseSink(settings)) {
            CheckpointStore store = real.checkpointStore().orElseThrow();
            CrashingSink crashing = new CrashingSink(real, CrashPoint.AFTER_FLUSH, 4);
            SyncReport crashed = run(pipeline, crashing, store, sync, 500);
            assertTrue(crashing.crashed());
            assertFalse(crashed.succeeded());
            String q = Sql.table(ch.settings().database, target);
            long landed = ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + q + " FINAL");
            // how many rows one batch holds depends on the source's chunks; four flushed batches landed, not all
            assertTrue(landed >= 4 && landed < 6000, "the crash came mid-way, after four flushed batches: " + landed);

            SyncReport resumed = run(pipeline, real, store, sync, 500);
            assertTrue(resumed.succeeded(), resumed::toText);
            assertTrue(resumed.rowsRead() < 6000, "resumed from the checkpoint, not from scratch: " + resumed.toText());
        }
        String q = Sql.table(ch.settings().database, target);
        assertEquals(6000, ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + q + " FINAL"), "no gap");
        assertEquals(6000, ClickHouseTestSupport.scalar(ch, "SELECT uniqExact(id) FROM " + q + " FINAL"), "no duplicate");
        assertEquals(5, ClickHouseTestSupport.scalar(ch, "SELECT uniqExact(_partition_id) FROM " + q), "one partition per month");
        assertEquals("(created_at, id)".replace(" ", ""), ClickHouseTestSupport.text(ch,
                "SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = " + Sql.literal(target)).replace(" ", "")
                .replace("created_at,id", "(created_at,id)"));
        assertEquals("/p/4242", ClickHouseTestSupport.text(ch, "SELECT JSONExtractString(properties, 'page') FROM " + q + " FINAL WHERE id = 4242"));
        assertEquals(2000, ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + q + " FINAL WHERE JSONExtractString(properties, 'ref', 'src') = 's1'"));
    }

    @Test
    void deletesVanishFromFinalQueriesAndTheLiveView() throws Exception {
        String target = "deletes_" + RUN;
        ClickHouseSettings settings = ClickHouseTestSupport.sinkSettings(
                "partition.by", target + ":toYYYYMM(created_at)", "order.by", target + ":(created_at, id)", "create.view", "true");
        TableSchema s = new TableSchema(target, List.of(Column.required("id", LogicalType.INT64),
                Column.required("created_at", LogicalType.TIMESTAMP_TZ), Column.of("name", LogicalType.STRING)), List.of("id"));
        Instant t0 = Instant.parse("2024-03-31T23:00:00Z");
        try (ClickHouseSink sink = new ClickHouseSink(settings); TableWriter w = sink.open(s)) {
            List<ChangeEvent> ups = new ArrayList<>();
            for (long id = 1; id <= 10; id++) {
                ups.add(ChangeEvent.upsert(target, new Object[] {id}, new Object[] {id, t0.plusSeconds(id * 600), "n" + id}, 100 + id, Position.of(id)));
            }
            w.write(Batch.of(s, ups));
            w.flush();
            // a CDC-style delete with the key only (the sink finds created_at, part of the sorting key and partition)
            // and a soft delete carrying the row; an older replayed upsert of a deleted key must not bring it back
            List<ChangeEvent> dels = List.of(
                    ChangeEvent.delete(target, new Object[] {2L}, null, 500, Position.of(2L)),
                    ChangeEvent.delete(target, new Object[] {7L}, new Object[] {7L, t0.plusSeconds(4200), "n7"}, 500, Position.of(7L)),
                    ChangeEvent.delete(target, new Object[] {404L}, null, 500, Position.of(404L)));
            assertEquals(3, w.write(Batch.of(s, dels)).deleted());
            w.flush();
            w.write(Batch.of(s, List.of(ChangeEvent.upsert(target, new Object[] {2L}, new Object[] {2L, t0.plusSeconds(1200), "stale"}, 102,
                    Position.of(2L)))));
            w.flush();
        }
        String q = Sql.table(ch.settings().database, target);
        assertEquals(8, ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + q + " FINAL"));
        assertEquals(0, ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + q + " FINAL WHERE id IN (2, 7, 404)"));
        assertEquals(8, ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + Sql.table(ch.settings().database, target + "_live")));
        // the optional cleanup drops deleted rows and old versions physically
        ch.execute("ALTER TABLE " + q + " MODIFY SETTING allow_experimental_replacing_merge_with_cleanup = 1", target);
        ch.execute(new TableLayout(s, settings).optimizeCleanup(), target);
        assertEquals(8, ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + q));
    }
}
