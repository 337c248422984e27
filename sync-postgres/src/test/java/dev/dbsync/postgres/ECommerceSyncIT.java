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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scenario users start from: an e-commerce schema of five tables (130,100 rows) copied PostgreSQL →
 * PostgreSQL, then an insert, an update and a soft delete followed incrementally.
 */
class ECommerceSyncIT {

    private static final List<String> TABLES = List.of("customers", "categories", "products", "orders", "order_items");
    private static PgTestDb source;
    private static PgTestDb target;

    @BeforeAll
    static void schema() {
        source = PgTestDb.create("shop");
        target = PgTestDb.create("replica");
        String common = "updated_at timestamptz NOT NULL DEFAULT now(), is_deleted boolean NOT NULL DEFAULT false";
        source.exec(
                "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name text, country char(2), " + common + ")",
                "CREATE TABLE categories (id int PRIMARY KEY, name varchar(80) NOT NULL, parent_id int, " + common + ")",
                "CREATE TABLE products (id bigint PRIMARY KEY, category_id int, name text NOT NULL, price numeric(10,2),"
                        + " tags text[], attributes jsonb, " + common + ")",
                "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, status text, total numeric(12,2),"
                        + " placed_at timestamptz, " + common + ")",
                "CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint, product_id bigint, qty int,"
                        + " unit_price numeric(10,2), " + common + ")",
                "INSERT INTO customers SELECT g, 'c' || g || '@example.com', 'Customer ' || g, 'DE',"
                        + " now() - interval '1 day' + g * interval '1 ms', false FROM generate_series(1, 20000) g",
                "INSERT INTO categories SELECT g, 'Category ' || g, NULLIF(g % 10, 0), now() - interval '1 day', false"
                        + " FROM generate_series(1, 100) g",
                "INSERT INTO products SELECT g, 1 + g % 100, 'Product ' || g, (g % 5000) / 10.0, ARRAY['t' || g % 7, 'all'],"
                        + " jsonb_build_object('color', 'c' || g % 5, 'weight', g % 13), now() - interval '1 day' + g * interval '1 ms', false"
                        + " FROM generate_series(1, 20000) g",
                "INSERT INTO orders SELECT g, 1 + g % 20000, 'paid', (g % 900) + 0.99, now() - interval '2 days',"
                        + " now() - interval '1 day' + g * interval '1 ms', false FROM generate_series(1, 30000) g",
                "INSERT INTO order_items SELECT g, 1 + g / 2, 1 + g % 20000, 1 + g % 4, (g % 500) + 0.5,"
                        + " now() - interval '1 day' + g * interval '1 ms', false FROM generate_series(1, 60000) g",
                "ANALYZE");
        for (String t : TABLES) {
            source.exec("CREATE INDEX " + t + "_updated ON " + t + " (updated_at, id)");
        }
    }

    private static SyncReport sync(CheckpointStore store) {
        List<TableSync> tables = new ArrayList<>();
        for (String t : TABLES) {
            tables.add(TableSync.incremental(TableSpec.of("public." + t).withCursor("updated_at").withSoftDelete("is_deleted")));
        }
        try (PostgresSource src = new PostgresSource(source.factory());
             PostgresSink sink = new PostgresSink(target.factory(), "public", true, null);
             SyncEngine engine = SyncEngine.builder().pipeline("shop").source(src).sink(sink).checkpointStore(store)
                     .tables(tables).build()) {
            return engine.runOnce();
        }
    }

    @Test
    void fullSyncThenInsertUpdateAndSoftDeleteFollowIncrementally() throws Exception {
        CheckpointStore store = CheckpointStores.memory();
        SyncReport full = sync(store);
        assertTrue(full.succeeded(), full::toText);
        assertEquals(130_100, full.upserted(), full.toText());
        for (String t : TABLES) {
            assertEquals(source.count("SELECT count(*) FROM " + t), target.count("SELECT count(*) FROM " + t), t);
        }
        TableSchema products;
        try (PostgresSource src = new PostgresSource(source.factory())) {
            products = src.describe(TableSpec.of("public.products"));
        }
        assertEquals(source.rows(products, "public.products"), target.rows(products, "public.products"),
                "products identical row by row, arrays and JSON included");
        assertEquals("numeric(10,2)", target.rows(products, "public.products").isEmpty() ? null
                : typeOf(target, "products", "price"), "exact source types are kept PostgreSQL to PostgreSQL");

        source.exec("INSERT INTO products (id, category_id, name, price) VALUES (1000001, 7, 'Drone', 499.00)");
        Thread.sleep(30);
        SyncReport insert = sync(store);
        assertTrue(insert.succeeded(), insert::toText);
        assertEquals(1, insert.table("public.products").upserted(), insert.toText());
        assertEquals(1, insert.rowsRead(), "only the new row is read: " + insert.toText());
        assertEquals(List.of(Map.of("name", "Drone")), names(1000001));

        source.exec("UPDATE products SET name = 'Drone V2', updated_at = now() WHERE id = 1000001",
                "UPDATE products SET is_deleted = true, updated_at = now() WHERE id = 42");
        Thread.sleep(30);
        SyncReport change = sync(store);
        assertTrue(change.succeeded(), change::toText);
        assertEquals(1, change.table("public.products").upserted(), change.toText());
        assertEquals(1, change.table("public.products").deleted(), change.toText());
        assertEquals(2, change.rowsRead(), change.toText());
        assertEquals(List.of(Map.of("name", "Drone V2")), names(1000001));
        assertEquals(0, target.count("SELECT count(*) FROM products WHERE id = 42"), "the soft-deleted product is gone");
        assertEquals(20_000, target.count("SELECT count(*) FROM products"));
    }

    private static List<Map<String, Object>> names(long id) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        try (var c = target.connect(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT name FROM products WHERE id = " + id)) {
            while (rs.next()) {
                out.add(Map.of("name", rs.getString(1)));
            }
        }
        return out;
    }

    private static String typeOf(PgTestDb db, String table, String column) throws Exception {
        try (var c = db.connect(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '"
                     + table + "'::regclass AND attname = '" + column + "'")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
