package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Source behaviour beyond the contract: keyset reads on unusual key types, soft deletes, unsafe cursors. */
class PostgresSourceIT {

    private static final CdcFixture DB = new CdcFixture("sourceit");

    @AfterAll
    static void dropSlots() {
        DB.dropSlots();
    }

    /** Every key the snapshot path returns, chunk after chunk of {@code chunk} rows. */
    private static List<Object> snapshotKeys(TableSpec spec, int chunk) {
        TableSchema schema = DB.describe(spec);
        List<Object> keys = new ArrayList<>();
        try (PostgresSource source = new PostgresSource(DB.connections)) {
            Position after = null;
            while (true) {
                Chunk c = source.readSnapshot(spec, schema, after, chunk);
                c.events().forEach(e -> keys.add(e.key().get(0)));
                if (c.last()) {
                    return keys;
                }
                after = c.next();
            }
        }
    }

    @Test
    void foreignKeysComeFromTheCatalogInConstraintOrder() {
        DB.exec("CREATE SCHEMA IF NOT EXISTS \"sales.eu\"",
                "CREATE TABLE \"sales.eu\".customers (tenant text, id bigint, PRIMARY KEY (tenant, id))",
                "CREATE TABLE fk_products (sku text PRIMARY KEY)",
                "CREATE TABLE fk_orders (id bigint PRIMARY KEY, tenant text, customer bigint, sku text,"
                        + " CONSTRAINT by_customer FOREIGN KEY (tenant, customer) REFERENCES \"sales.eu\".customers (tenant, id),"
                        + " CONSTRAINT of_product FOREIGN KEY (sku) REFERENCES fk_products (sku))");
        try (PostgresSource source = new PostgresSource(DB.connections)) {
            TableSchema s = source.describe(TableSpec.of("public.fk_orders"));
            assertEquals(List.of(
                    new dev.dbsync.spi.ForeignKey("by_customer", List.of("tenant", "customer"), "\"sales.eu\".customers",
                            List.of("tenant", "id")),
                    new dev.dbsync.spi.ForeignKey("of_product", List.of("sku"), "public.fk_products", List.of("sku"))),
                    s.foreignKeys());
            assertEquals(List.of(), source.describe(TableSpec.of("public.fk_products")).foreignKeys());
        }
    }

    @Test
    void snapshotChunksContinueOnEnumKeysInTheirDeclaredOrder() {
        DB.exec("CREATE TYPE \"Mood\" AS ENUM ('sad', 'ok', 'happy', 'ecstatic')",
                "CREATE TABLE moods (m \"Mood\" PRIMARY KEY, note text)",
                "INSERT INTO moods VALUES ('happy', 'c'), ('sad', 'a'), ('ecstatic', 'd'), ('ok', 'b')");
        assertEquals(List.of("sad", "ok", "happy", "ecstatic"), snapshotKeys(TableSpec.of("public.moods"), 1));
    }

    @Test
    void snapshotChunksOnCitextKeysFollowItsCaseInsensitiveOrder() {
        DB.exec("CREATE EXTENSION IF NOT EXISTS citext",
                "CREATE TABLE names (n citext PRIMARY KEY)",
                "INSERT INTO names VALUES ('b'), ('A'), ('C'), ('d'), ('E'), ('f')");
        // as text, 'C' < 'b': a text literal would skip or repeat rows at a chunk boundary
        assertEquals(List.of("A", "b", "C", "d", "E", "f"), snapshotKeys(TableSpec.of("public.names"), 2));
    }

    @Test
    void snapshotChunksContinueOnInetKeys() {
        DB.exec("CREATE TABLE hosts (ip inet PRIMARY KEY)",
                "INSERT INTO hosts VALUES ('10.0.0.2'), ('10.0.0.10'), ('10.0.0.1'), ('192.168.1.1')");
        // in the output function's form, as the change feed sends them
        assertEquals(List.of("10.0.0.1", "10.0.0.2", "10.0.0.10", "192.168.1.1"), snapshotKeys(TableSpec.of("public.hosts"), 1));
    }

    @Test
    void softDeleteMarkersMatchTheSameRowsInSnapshotsAndInTheChangeFeed() {
        DB.exec("CREATE TABLE flagged (id int PRIMARY KEY, gone boolean, status text, code char(4))");
        String rows = "INSERT INTO flagged VALUES (1, true, 'Deleted', 'x'), (2, false, 'deleted', 'x'), (3, NULL, NULL, NULL),"
                + " (4, true, 'DELETED', 'del')";
        TableSpec byBool = TableSpec.of("public.flagged").withSoftDelete("gone", "yes");
        TableSpec byText = TableSpec.of("public.flagged").withSoftDelete("status", "Deleted");
        TableSpec byChar = TableSpec.of("public.flagged").withSoftDelete("code", "del ");
        PgReplication repl = DB.replication("flagged", Duration.ofSeconds(1), 1000);
        Map<String, Map<Object, Operation>> feed = new TreeMap<>();
        List<TableSpec> specs = List.of(byBool, byText, byChar);
        for (TableSpec spec : specs) {
            Position start = repl.streamStart(List.of(spec));
            TableSchema schema = DB.describe(spec);
            try (ChangeStream stream = repl.open(List.of(schema), List.of(spec), start)) {
                if (spec == byBool) {
                    DB.exec(rows);
                } else {
                    DB.exec("UPDATE flagged SET id = id + 10", "UPDATE flagged SET id = id - 10");
                }
                // four inserts; or two key-changing updates of four rows, each row a delete of the old key and an
                // upsert of the new one: 16 events, the last for keys 1–4 from the second update
                List<ChangeEvent> events = CdcFixture.pollUntil(stream, spec == byBool ? 4 : 16, Duration.ofSeconds(20));
                Map<Object, Operation> last = new TreeMap<>();
                for (ChangeEvent e : events) {
                    if (((Number) e.key().get(0)).intValue() < 10) {
                        last.put(e.key().get(0), e.operation());
                    }
                }
                feed.put(spec.softDeleteColumn(), last);
            }
        }
        try (PostgresSource source = new PostgresSource(DB.connections)) {
            for (TableSpec spec : specs) {
                Map<Object, Operation> snapshot = new TreeMap<>();
                for (ChangeEvent e : source.readSnapshot(spec, DB.describe(spec), null, 100).events()) {
                    snapshot.put(e.key().get(0), e.operation());
                }
                assertEquals(snapshot, feed.get(spec.softDeleteColumn()), "snapshot and change feed agree on " + spec.softDeleteColumn());
            }
            Map<Object, Operation> expected = new TreeMap<>(Map.of(1, Operation.DELETE, 2, Operation.UPSERT, 3, Operation.UPSERT,
                    4, Operation.DELETE));
            assertEquals(expected, feed.get("gone"), "'yes' marks true in a boolean column");
            expected.put(4, Operation.UPSERT);
            assertEquals(expected, feed.get("status"), "text compares exactly, case included");
            expected.put(1, Operation.UPSERT);
            expected.put(4, Operation.DELETE);
            assertEquals(expected, feed.get("code"), "char(n) compares with its padding, as PostgreSQL prints it");
        }
    }

    @Test
    void aBooleanSoftDeleteColumnNeedsABooleanMarker() {
        DB.exec("CREATE TABLE bad_marker (id int PRIMARY KEY, gone boolean)");
        TableSpec spec = TableSpec.of("public.bad_marker").withSoftDelete("gone", "deleted");
        try (PostgresSource source = new PostgresSource(DB.connections)) {
            TableSchema schema = source.describe(spec);
            RuntimeException e = assertThrows(RuntimeException.class, () -> source.readSnapshot(spec, schema, null, 10));
            assertTrue(e.getMessage().contains("'gone'") && e.getMessage().contains("'deleted'"), e.getMessage());
        }
    }

    @Test
    void incrementalReadsRefuseANonTemporalCursorUnlessAllowed() {
        DB.exec("CREATE TABLE seq_cursor (id bigserial PRIMARY KEY, v text)", "INSERT INTO seq_cursor (v) VALUES ('a'), ('b')");
        TableSpec spec = TableSpec.of("public.seq_cursor").withCursor("id");
        try (PostgresSource source = new PostgresSource(DB.connections)) {
            TableSchema schema = source.describe(spec);
            ConfigException e = assertThrows(ConfigException.class, () -> source.changesStart(spec, schema));
            assertEquals(PostgresSourceFactory.INCREMENTAL_ALLOW_UNSAFE_CURSOR, e.key());
            assertTrue(e.getMessage().contains("'id'") && e.getMessage().contains("commit"), e.getMessage());
            assertThrows(ConfigException.class, () -> source.readChanges(spec, schema, null, 10));
        }
        try (PostgresSource source = new PostgresSource(DB.connections, "public", Duration.ZERO, "unused", "unused",
                Duration.ofSeconds(10), true)) {
            TableSchema schema = source.describe(spec);
            assertEquals(Position.of(2L), source.changesStart(spec, schema));
            assertEquals(2, source.readChanges(spec, schema, null, 10).events().size());
        }
    }
}
