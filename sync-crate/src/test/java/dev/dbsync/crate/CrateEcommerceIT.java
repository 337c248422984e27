package dev.dbsync.crate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The scenario users start from: an e-commerce schema in PostgreSQL (customers, categories, products, orders,
 * order_items, each with updated_at and is_deleted) synced into CrateDB in full, then changed in PostgreSQL
 * (inserts, updates, soft deletes) and synced incrementally; CrateDB must then hold exactly the live rows.
 */
class CrateEcommerceIT {

    private static final List<String> TABLES = List.of("customers", "categories", "products", "orders", "order_items");

    private final CrateServer crate = CrateServer.get();
    private final PostgresServer pg = PostgresServer.get();
    private final String run = "shop_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    @Test
    void fullThenIncrementalSyncMatchesTheSource() throws Exception {
        String pgUrl = pg.createDatabase("shop");
        try (Connection c = pgConnect(pgUrl); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE customers (id BIGINT PRIMARY KEY, email TEXT NOT NULL, name TEXT, "
                    + "updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), is_deleted BOOLEAN NOT NULL DEFAULT false)");
            st.execute("CREATE TABLE categories (id INT PRIMARY KEY, name TEXT NOT NULL, "
                    + "updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), is_deleted BOOLEAN NOT NULL DEFAULT false)");
            st.execute("CREATE TABLE products (id BIGINT PRIMARY KEY, category_id INT NOT NULL, name TEXT NOT NULL, "
                    + "price NUMERIC(12,2) NOT NULL, attributes JSONB, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                    + "is_deleted BOOLEAN NOT NULL DEFAULT false)");
            st.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, status TEXT NOT NULL, "
                    + "total NUMERIC(12,2) NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                    + "is_deleted BOOLEAN NOT NULL DEFAULT false)");
            st.execute("CREATE TABLE order_items (order_id BIGINT NOT NULL, line INT NOT NULL, product_id BIGINT NOT NULL, "
                    + "quantity INT NOT NULL, unit_price NUMERIC(12,2) NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                    + "is_deleted BOOLEAN NOT NULL DEFAULT false, PRIMARY KEY (order_id, line))");
            st.execute("INSERT INTO categories (id, name) SELECT g, 'category ' || g FROM generate_series(1, 20) g");
            st.execute("INSERT INTO customers (id, email, name) SELECT g, 'c' || g || '@example.com', 'Customer ' || g "
                    + "FROM generate_series(1, 500) g");
            st.execute("INSERT INTO products (id, category_id, name, price, attributes) SELECT g, 1 + g % 20, 'product ' || g, "
                    + "(g % 997) + 0.99, jsonb_build_object('color', 'c' || (g % 7), 'stock', g % 50) FROM generate_series(1, 1000) g");
            st.execute("INSERT INTO orders (id, customer_id, status, total) SELECT g, 1 + g % 500, 'new', (g % 300) + 0.5 "
                    + "FROM generate_series(1, 2000) g");
            st.execute("INSERT INTO order_items (order_id, line, product_id, quantity, unit_price) "
                    + "SELECT o, l, 1 + (o * l) % 1000, 1 + l, 9.99 FROM generate_series(1, 2000) o, generate_series(1, 3) l");
            st.execute("UPDATE customers SET is_deleted = true WHERE id % 50 = 0");
        }

        Map<String, Object> pgConfig = new LinkedHashMap<>();
        pgConfig.put("url", pgUrl);
        if (pg.username() != null) {
            pgConfig.put("user", pg.username());
        }
        if (pg.password() != null) {
            pgConfig.put("password", pg.password());
        }
        CheckpointStore store = CheckpointStores.memory();
        Connectors connectors = Connectors.load();
        try (Source source = connectors.createSource("postgres", pgConfig);
             Sink sink = connectors.createSink("crate", crate.config("replicas", "0", "shards", "2"))) {
            SyncReport full = engine(source, sink, store).runOnce();
            assertTrue(full.succeeded(), full::toText);
            assertTargetMatches(pgUrl);

            try (Connection c = pgConnect(pgUrl); Statement st = c.createStatement()) {
                Thread.sleep(5); // updated_at values of the changes come after the first sync's reads
                st.execute("INSERT INTO customers (id, email, name) VALUES (501, 'new@example.com', 'New Customer')");
                st.execute("UPDATE customers SET name = 'Renamed', updated_at = now() WHERE id = 7");
                st.execute("UPDATE products SET price = 1234.56, attributes = '{\"color\": \"gold\"}', updated_at = now() WHERE id = 3");
                st.execute("UPDATE products SET is_deleted = true, updated_at = now() WHERE id = 4");
                st.execute("INSERT INTO orders (id, customer_id, status, total) VALUES (2001, 501, 'new', 42.00)");
                st.execute("UPDATE orders SET status = 'shipped', updated_at = now() WHERE id <= 100");
                st.execute("UPDATE order_items SET is_deleted = true, updated_at = now() WHERE order_id = 10");
                st.execute("INSERT INTO order_items (order_id, line, product_id, quantity, unit_price) VALUES (2001, 1, 3, 1, 1234.56)");
                st.execute("UPDATE categories SET is_deleted = true, updated_at = now() WHERE id = 20");
            }
            SyncReport incremental = engine(source, sink, store).runOnce();
            assertTrue(incremental.succeeded(), incremental::toText);
            assertTrue(incremental.rowsRead() < 1000, "incremental run reads only changed rows: " + incremental.toText());
            assertTargetMatches(pgUrl);
        }
        try (Connection c = crate.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT name, status FROM doc." + run + "_customers c JOIN doc." + run
                     + "_orders o ON o.customer_id = c.id WHERE o.id = 2001")) {
            assertTrue(rs.next(), "the new order joins its new customer in CrateDB");
            assertEquals("New Customer", rs.getString(1));
        }
    }

    private SyncEngine engine(Source source, Sink sink, CheckpointStore store) {
        SyncEngine.Builder b = SyncEngine.builder().pipeline(run).source(source).sink(sink).checkpointStore(store)
                .batchRows(1000);
        for (String t : TABLES) {
            b.table(TableSync.incremental(TableSpec.of("public." + t).withCursor("updated_at").withSoftDelete("is_deleted"))
                    .withTarget(run + "_" + t));
        }
        return b.build();
    }

    private void assertTargetMatches(String pgUrl) throws SQLException {
        Map<String, String> compare = Map.of(
                "customers", "id::text, email, name",
                "categories", "id::text, name",
                "products", "id::text, category_id::text, name, price::numeric(12,2)::text",
                "orders", "id::text, customer_id::text, status, total::numeric(12,2)::text",
                "order_items", "order_id::text || '/' || line::text, product_id::text, quantity::text, unit_price::numeric(12,2)::text");
        for (String t : TABLES) {
            Map<String, List<String>> expected = new TreeMap<>();
            try (Connection c = pgConnect(pgUrl); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT " + compare.get(t) + " FROM " + t + " WHERE NOT is_deleted")) {
                collect(rs, expected);
            }
            Map<String, List<String>> actual = new TreeMap<>();
            String crateCols = compare.get(t).replace("::numeric(12,2)::text", "").replace("::text", "");
            if (t.equals("order_items")) {
                crateCols = "order_id || '/' || line, product_id, quantity, unit_price";
            }
            try (Connection c = crate.connect(); Statement st = c.createStatement()) {
                st.execute("REFRESH TABLE doc." + run + "_" + t);
                try (ResultSet rs = st.executeQuery("SELECT " + crateCols + " FROM doc." + run + "_" + t)) {
                    collect(rs, actual);
                }
            }
            assertEquals(expected.size(), actual.size(), "row count of " + t);
            for (Map.Entry<String, List<String>> e : expected.entrySet()) {
                List<String> a = actual.get(e.getKey());
                assertTrue(a != null, t + " lacks key " + e.getKey());
                for (int i = 0; i < e.getValue().size(); i++) {
                    String ev = e.getValue().get(i);
                    String av = a.get(i);
                    if (ev != null && av != null && ev.matches("-?\\d+(\\.\\d+)?") && av.matches("-?\\d+(\\.\\d+)?")) {
                        assertEquals(0, new BigDecimal(ev).compareTo(new BigDecimal(av)), t + " key " + e.getKey() + " column " + i);
                    } else {
                        assertEquals(ev, av, t + " key " + e.getKey() + " column " + i);
                    }
                }
            }
        }
        try (Connection c = crate.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT attributes['color'] FROM doc." + run + "_products WHERE id = 3")) {
            assertTrue(rs.next());
            String color = rs.getString(1);
            assertTrue(color.equals("gold") || color.equals("c3"), "JSON document readable by subscript: " + color);
        }
    }

    private static void collect(ResultSet rs, Map<String, List<String>> into) throws SQLException {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            List<String> row = new ArrayList<>();
            for (int i = 2; i <= n; i++) {
                row.add(rs.getString(i));
            }
            into.put(rs.getString(1), row);
        }
    }

    private Connection pgConnect(String url) throws SQLException {
        return pg.username() == null ? DriverManager.getConnection(url)
                : DriverManager.getConnection(url, pg.username(), pg.password());
    }
}
