package dev.dbsync.neo4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.postgres.PostgresSourceFactory;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.CrashPoint;
import dev.dbsync.testkit.CrashingSink;
import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.neo4j.driver.Record;

/**
 * PostgreSQL e-commerce → Neo4j through the engine: customers, products, categories and orders become nodes,
 * foreign keys relationships, {@code order_items} relationships with properties. A run killed part-way and
 * resumed, then incremental runs that move an order to another customer, soft-delete a customer with its
 * orders, and add orders, each leave the graph equal to the source: nodes per label and the exact endpoint pairs
 * of every relationship type are compared with the source's rows and foreign keys.
 */
class PostgresToNeo4jIT extends GraphTestSupport {

    private static final int CATEGORIES = 12;
    private static final int PRODUCTS = 120;
    private static final int CUSTOMERS = 150;
    private static final int ORDERS = 400;

    private final PostgresServer pg = PostgresServer.get();
    private final String suffix = unique("");
    private final String customer = "Customer" + suffix;
    private final String product = "Product" + suffix;
    private final String category = "Category" + suffix;
    private final String order = "Order" + suffix;
    private final String contains = "CONTAINS" + suffix.toUpperCase();

    private void sql(Connection c, String... statements) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    private void createShop(Connection c) throws SQLException {
        String audit = ", updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), is_deleted boolean NOT NULL DEFAULT false";
        sql(c, "CREATE TABLE categories (id bigint PRIMARY KEY, name text NOT NULL, parent_id bigint REFERENCES categories" + audit + ")",
                "CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, "
                        + "category_id bigint REFERENCES categories" + audit + ")",
                "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text" + audit + ")",
                "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, total numeric(12,2)" + audit + ")",
                "CREATE TABLE order_items (order_id bigint NOT NULL REFERENCES orders, product_id bigint NOT NULL REFERENCES products, "
                        + "quantity int NOT NULL, unit_price numeric(10,2) NOT NULL" + audit + ", PRIMARY KEY (order_id, product_id))",
                "INSERT INTO categories (id, name, parent_id) SELECT g, 'category ' || g, CASE WHEN g > 3 THEN g % 3 + 1 END "
                        + "FROM generate_series(1, " + CATEGORIES + ") g",
                "INSERT INTO products SELECT g, 'product ' || g, (g % 50) + 0.99, g % " + CATEGORIES + " + 1 FROM generate_series(1, " + PRODUCTS + ") g",
                "INSERT INTO customers SELECT g, 'customer ' || g, 'c' || g || '@example.com' FROM generate_series(1, " + CUSTOMERS + ") g",
                "INSERT INTO orders SELECT g, g % " + CUSTOMERS + " + 1, 0 FROM generate_series(1, " + ORDERS + ") g",
                "INSERT INTO order_items SELECT o, (o * 7 + k * 13) % " + PRODUCTS + " + 1, k, 1.50 FROM generate_series(1, "
                        + ORDERS + ") o, generate_series(1, 3) k");
    }

    private Sink neo4jSink() {
        return sink("checkpoint.store", "true", "lease.ttl", "2s",
                "labels", List.of("customers=" + customer, "products=" + product, "categories=" + category, "orders=" + order),
                "join.tables", List.of("order_items=" + contains));
    }

    private Source pgSource(String url) {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put("url", url);
        if (pg.username() != null) {
            cfg.put("user", pg.username());
        }
        if (pg.password() != null) {
            cfg.put("password", pg.password());
        }
        return closeLater(new PostgresSourceFactory().create(new PostgresSourceFactory().configDef().parse(cfg)));
    }

    private SyncReport run(String url, Sink sink, CheckpointStore store) {
        List<TableSync> tables = new ArrayList<>();
        // children before parents on purpose: their references make placeholders the parents' sync completes
        for (String t : new String[] {"order_items", "orders", "products", "customers", "categories"}) {
            tables.add(TableSync.incremental(TableSpec.of("public." + t).withCursor("updated_at").withSoftDelete("is_deleted")));
        }
        try (SyncEngine engine = SyncEngine.builder().pipeline("shop" + suffix).source(pgSource(url)).sink(sink)
                .checkpointStore(store).tables(tables).batchRows(100).build()) {
            return engine.runOnce();
        }
    }

    @Test
    void theGraphFollowsTheShopThroughACrashAndIncrementalRuns() throws Exception {
        String url = pg.createDatabase("shop_graph");
        try (Connection c = pg.connect(url)) {
            createShop(c);
            Sink first = neo4jSink();
            CrashingSink crashing = new CrashingSink(first, CrashPoint.AFTER_WRITE, 7);
            SyncReport crashed = run(url, crashing, first.checkpointStore().orElseThrow());
            assertTrue(crashing.crashed());
            assertFalse(crashed.succeeded(), "the first run was killed");

            Sink second = neo4jSink();
            SyncReport resumed = run(url, second, second.checkpointStore().orElseThrow());
            assertTrue(resumed.succeeded(), resumed::toText);
            assertGraphEqualsShop(c);
            assertEquals(0, count("MATCH (n) WHERE n._dbsync_placeholder AND any(l IN labels(n) WHERE l ENDS WITH $s) "
                    + "RETURN count(n)", "s", suffix), "every placeholder was completed by its row's sync");

            // changes: an order moves to another customer, a customer leaves with their orders, an item changes,
            // a product moves to another category, a new order arrives
            sql(c, "UPDATE orders SET customer_id = 2, updated_at = clock_timestamp() WHERE id = 1",
                    "UPDATE customers SET is_deleted = true, updated_at = clock_timestamp() WHERE id = 5",
                    "UPDATE orders SET is_deleted = true, updated_at = clock_timestamp() WHERE customer_id = 5",
                    "UPDATE order_items SET is_deleted = true, updated_at = clock_timestamp() WHERE order_id IN "
                            + "(SELECT id FROM orders WHERE customer_id = 5)",
                    "UPDATE order_items SET quantity = 42, updated_at = clock_timestamp() WHERE order_id = 2",
                    "UPDATE products SET category_id = 1, updated_at = clock_timestamp() WHERE id = 3",
                    "INSERT INTO orders (id, customer_id, total) VALUES (" + (ORDERS + 1) + ", 7, 10)",
                    "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (" + (ORDERS + 1) + ", 1, 1, 2.00)");
            Thread.sleep(20);
            Sink third = neo4jSink(); // the engine closed the previous one: a later run is a new process
            SyncReport incremental = run(url, third, third.checkpointStore().orElseThrow());
            assertTrue(incremental.succeeded(), incremental::toText);
            assertTrue(incremental.rowsRead() < 40, "only the changed rows are read: " + incremental.toText());
            assertGraphEqualsShop(c);
            assertEquals(List.of(2L), query("MATCH (:" + order + " {id: 1})-[:CUSTOMER]->(p) RETURN p.id")
                    .stream().map(r -> r.get(0).asLong()).toList(), "the order's relationship moved to its new customer");
            assertEquals(0, count("MATCH (n:" + customer + " {id: 5}) RETURN count(n)"));
            assertEquals(Set.of(42L), new TreeSet<>(query("MATCH (:" + order + " {id: 2})-[r:" + contains + "]->() RETURN r.quantity")
                    .stream().map(r -> r.get(0).asLong()).toList()));
        }
    }

    /** Nodes per label and relationship endpoint pairs per type equal the source's live rows and references. */
    private void assertGraphEqualsShop(Connection c) throws SQLException {
        for (String[] t : new String[][] {{"customers", customer}, {"products", product}, {"categories", category}, {"orders", order}}) {
            assertSame(ids(c, "SELECT id::text FROM " + t[0] + " WHERE NOT is_deleted"),
                    graph("MATCH (n:" + t[1] + ") WHERE n._dbsync_placeholder IS NULL RETURN toString(n.id)"), "nodes of " + t[1]);
        }
        assertSame(ids(c, "SELECT id || '>' || customer_id FROM orders WHERE NOT is_deleted AND customer_id IS NOT NULL"),
                graph("MATCH (a:" + order + ")-[:CUSTOMER]->(b:" + customer + ") RETURN a.id + '>' + b.id"), "CUSTOMER relationships");
        assertSame(ids(c, "SELECT id || '>' || category_id FROM products WHERE NOT is_deleted AND category_id IS NOT NULL"),
                graph("MATCH (a:" + product + ")-[:CATEGORY]->(b:" + category + ") RETURN a.id + '>' + b.id"), "CATEGORY relationships");
        assertSame(ids(c, "SELECT id || '>' || parent_id FROM categories WHERE NOT is_deleted AND parent_id IS NOT NULL"),
                graph("MATCH (a:" + category + ")-[:PARENT]->(b:" + category + ") RETURN a.id + '>' + b.id"), "PARENT relationships");
        assertSame(ids(c, "SELECT order_id || '>' || product_id || ':' || quantity FROM order_items WHERE NOT is_deleted"),
                graph("MATCH (a:" + order + ")-[r:" + contains + "]->(b:" + product + ") RETURN a.id + '>' + b.id + ':' + r.quantity"),
                contains + " relationships with their quantity");
    }

    /** Equal lists, reported by their differences (the lists are long). */
    private void assertSame(List<String> expected, List<String> actual, String what) {
        List<String> missing = new ArrayList<>(expected);
        missing.removeAll(actual);
        List<String> extra = new ArrayList<>(actual);
        extra.removeAll(expected);
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new AssertionError(what + ": " + expected.size() + " in the source, " + actual.size() + " in the graph; missing "
                    + missing.subList(0, Math.min(10, missing.size())) + ", extra " + extra.subList(0, Math.min(10, extra.size()))
                    + "; relationship types in the graph: " + graph("MATCH ()-[r]->() RETURN DISTINCT type(r)"));
        }
    }

    private static List<String> ids(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        out.sort(null);
        return out;
    }

    private List<String> graph(String cypher) {
        List<String> out = new ArrayList<>();
        for (Record r : query(cypher)) {
            out.add(r.get(0).asString());
        }
        out.sort(null);
        return out;
    }
}
