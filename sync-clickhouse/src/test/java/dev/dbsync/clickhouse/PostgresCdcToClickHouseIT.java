package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.RetryPolicy;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL logical replication into ClickHouse: the snapshot, then inserts, updates, hard deletes and soft
 * deletes from the change feed; deleted rows disappear from FINAL queries and an update never loses to the
 * older snapshot row (versions are LSNs).
 */
class PostgresCdcToClickHouseIT {

    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    @Test
    void changesFromTheFeedIncludingDeletesReachClickHouse() throws Exception {
        PostgresServer pg = PostgresServer.get();
        String url = pg.createDatabase("chcdc");
        String slot = "chcdc_" + RUN;
        try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int NOT NULL,"
                    + " is_deleted boolean NOT NULL DEFAULT false)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, 500) g");
        }
        Map<String, Object> config = new HashMap<>();
        config.put("url", url);
        config.put("user", pg.username());
        config.put("password", pg.password());
        config.put("slot.name", slot);
        config.put("publication.name", slot);
        String target = "cdc_items_" + RUN;
        TableSync table = TableSync.cdc(TableSpec.of("public.items").withSoftDelete("is_deleted")).withTarget(target);
        try (ClickHouseSink sink = ClickHouseTestSupport.sink(); ChConnection ch = ClickHouseTestSupport.connection()) {
            CheckpointStore store = sink.checkpointStore().orElseThrow();
            SyncReport first = run(config, sink, store, table);
            assertTrue(first.succeeded(), first::toText);
            assertTrue(first.table("public.items").snapshot());
            TableSchema schema = new TableSchema(target, List.of(Column.required("id", LogicalType.INT64),
                    Column.required("name", LogicalType.STRING), Column.required("qty", LogicalType.INT32),
                    Column.required("is_deleted", LogicalType.BOOLEAN)), List.of("id"));
            assertEquals(live(pg, url), chRows(ch, schema));

            try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
                st.execute("UPDATE items SET name = 'renamed', qty = qty + 1000 WHERE id % 50 = 0");
                st.execute("DELETE FROM items WHERE id IN (7, 8, 9)");
                st.execute("UPDATE items SET is_deleted = true WHERE id IN (11, 12)");
                st.execute("INSERT INTO items SELECT g, 'new ' || g, g FROM generate_series(501, 520) g");
            }
            SyncReport second = run(config, sink, store, table);
            assertTrue(second.succeeded(), second::toText);
            assertEquals(5, second.table("public.items").deleted(), "3 hard and 2 soft deletes: " + second.toText());
            Map<Long, String> expected = live(pg, url);
            assertEquals(515, expected.size());
            assertEquals(expected, chRows(ch, schema));
            long deletedVisible = ClickHouseTestSupport.scalar(ch, "SELECT count() FROM "
                    + Sql.table(ch.settings().database, target) + " FINAL WHERE _is_deleted = 0 AND id IN (7, 8, 9, 11, 12)");
            assertEquals(0, deletedVisible, "deleted rows are gone from FINAL queries");
        } finally {
            try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
            }
        }
    }

    private static SyncReport run(Map<String, Object> config, ClickHouseSink sink, CheckpointStore store, TableSync table) {
        try (Source source = Connectors.load().createSource("postgres", config)) {
            return SyncEngine.builder().pipeline("cdc_" + RUN).source(source).sink(sink).checkpointStore(store)
                    .table(table).streamIdle(Duration.ofMillis(500)).retryPolicy(RetryPolicy.none()).build().runOnce();
        }
    }

    private static Map<Long, String> live(PostgresServer pg, String url) throws Exception {
        Map<Long, String> out = new TreeMap<>();
        try (Connection c = pg.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, name, qty FROM items WHERE NOT is_deleted")) {
            while (rs.next()) {
                out.put(rs.getLong(1), rs.getString(2) + "|" + rs.getInt(3));
            }
        }
        return out;
    }

    private static Map<Long, String> chRows(ChConnection ch, TableSchema schema) {
        Map<Long, String> out = new TreeMap<>();
        for (Map<String, Object> r : ClickHouseTestSupport.liveRows(ch, schema, null)) {
            out.put((Long) r.get("id"), r.get("name") + "|" + r.get("qty"));
        }
        return out;
    }
}
