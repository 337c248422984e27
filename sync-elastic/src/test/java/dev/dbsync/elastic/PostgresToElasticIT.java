package dev.dbsync.elastic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.CrashPoint;
import dev.dbsync.testkit.CrashingSink;
import dev.dbsync.testkit.PostgresServer;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.elasticsearch.client.Request;
import org.junit.jupiter.api.Test;

/**
 * Keeping a search index in sync with PostgreSQL: products, and orders carrying their customer's fields (a view
 * joining orders and customers, its cursor the later of both updated_at). A full sync, then changes in PostgreSQL
 * (a renamed product, a soft-deleted product, a renamed customer, a new order) synced incrementally through a run
 * that is killed mid-way and resumed; searches then see exactly the live rows with their new values. Checkpoints
 * live in Elasticsearch.
 */
class PostgresToElasticIT {

    private final PostgresServer pg = PostgresServer.get();
    private final String run = "shop_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    @Test
    void searchesSeeUpdatesAndSoftDeletesAfterAKilledAndResumedSync() throws Exception {
        String pgUrl = pg.createDatabase("shop");
        try (Connection c = pgConnect(pgUrl); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE customers (id BIGINT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL, city TEXT, "
                    + "updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), is_deleted BOOLEAN NOT NULL DEFAULT false)");
            st.execute("CREATE TABLE products (id BIGINT PRIMARY KEY, name TEXT NOT NULL, description TEXT, price NUMERIC(12,2) NOT NULL, "
                    + "attributes JSONB, created_on DATE NOT NULL DEFAULT current_date, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                    + "is_deleted BOOLEAN NOT NULL DEFAULT false)");
            st.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL REFERENCES customers, status TEXT NOT NULL, "
                    + "total NUMERIC(12,2) NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), is_deleted BOOLEAN NOT NULL DEFAULT false)");
            st.execute("CREATE VIEW order_search AS SELECT o.id, o.status, o.total, c.id AS customer_id, c.name AS customer_name, "
                    + "c.email AS customer_email, c.city AS customer_city, GREATEST(o.updated_at, c.updated_at) AS updated_at, "
                    + "o.is_deleted FROM orders o JOIN customers c ON c.id = o.customer_id");
            st.execute("INSERT INTO customers (id, email, name, city) SELECT g, 'c' || g || '@example.com', 'Customer ' || g, "
                    + "(ARRAY['Berlin','Lisbon','Osaka'])[1 + g % 3] FROM generate_series(1, 300) g");
            st.execute("INSERT INTO products (id, name, description, price, attributes) SELECT g, 'product ' || g, "
                    + "CASE WHEN g % 10 = 0 THEN 'waterproof hiking boot' ELSE 'plain item' END, (g % 997) + 0.99, "
                    + "jsonb_build_object('color', 'c' || (g % 7), 'stock', g % 50) FROM generate_series(1, 2000) g");
            st.execute("INSERT INTO orders (id, customer_id, status, total) SELECT g, 1 + g % 300, 'new', (g % 300) + 0.5 "
                    + "FROM generate_series(1, 3000) g");
        }
        Map<String, Object> pgConfig = new LinkedHashMap<>();
        pgConfig.put("url", pgUrl);
        if (pg.username() != null) {
            pgConfig.put("user", pg.username());
            pgConfig.put("password", pg.password());
        }
        Map<String, Object> esConfig = ElasticTesting.config(Map.of("index.prefix", run + "_", "lease.ttl", "3s",
                "checkpoint.index", run + "_checkpoints"));
        Connectors connectors = Connectors.load();
        try (Source source = connectors.createSource("postgres", pgConfig);
             Sink sink = connectors.createSink("elasticsearch", esConfig)) {
            CheckpointStore store = sink.checkpointStore().orElseThrow();
            SyncReport full = engine(source, sink, store).runOnce();
            assertTrue(full.succeeded(), full::toText);
            assertEquals(2000, count("products", "{\"match_all\":{}}"));
            assertEquals(200, count("products", "{\"match\":{\"description\":\"boots waterproof\"}}") , "full-text search on description");
            assertEquals(3000, count("order_search", "{\"match_all\":{}}"));
            assertEquals(10, count("order_search", "{\"term\":{\"customer_name.keyword\":\"Customer 7\"}}"));

            Thread.sleep(5);
            try (Connection c = pgConnect(pgUrl); Statement st = c.createStatement()) {
                st.execute("UPDATE products SET name = 'Trail runner deluxe', price = 1234.56, updated_at = now() WHERE id = 3");
                st.execute("UPDATE products SET is_deleted = true, updated_at = now() WHERE id IN (10, 20)");
                st.execute("UPDATE customers SET name = 'Renamed Customer', updated_at = now() WHERE id = 7");
                st.execute("INSERT INTO customers (id, email, name) VALUES (301, 'new@example.com', 'New Customer')");
                st.execute("INSERT INTO orders (id, customer_id, status, total) VALUES (3001, 301, 'new', 42.00)");
                st.execute("UPDATE orders SET status = 'shipped', updated_at = now() WHERE id <= 100");
            }
            // killed after its first write reached Elasticsearch, before anything was flushed or checkpointed
            CrashingSink crashing = new CrashingSink(sink, CrashPoint.AFTER_WRITE, 1);
            SyncReport killed = engine(source, crashing, store).runOnce();
            assertTrue(crashing.crashed(), "the run was killed");
            assertFalse(killed.succeeded());
            SyncReport resumed = engine(source, sink, store).runOnce();
            assertTrue(resumed.succeeded(), resumed::toText);
            assertTrue(resumed.rowsRead() < 500, "the resumed run reads only changed rows: " + resumed.toText());
        }
        assertEquals(1998, count("products", "{\"match_all\":{}}"), "soft-deleted products are gone");
        assertEquals(1, count("products", "{\"match\":{\"name\":\"deluxe trail\"}}"), "the renamed product is found by its new name");
        assertEquals(0, count("products", "{\"terms\":{\"id\":[10,20]}}"));
        assertEquals(198, count("products", "{\"match\":{\"description\":\"waterproof\"}}"));
        JsonNode p3 = get("products", "3");
        assertEquals(0, new BigDecimal("1234.56").compareTo(new BigDecimal(p3.path("price").asText())), "decimal kept exact: " + p3);
        assertEquals("c3", p3.path("attributes").path("color").asText());
        assertEquals(3001, count("order_search", "{\"match_all\":{}}"));
        assertEquals(10, count("order_search", "{\"term\":{\"customer_name.keyword\":\"Renamed Customer\"}}"),
                "orders carry their customer's new name");
        assertEquals(0, count("order_search", "{\"term\":{\"customer_name.keyword\":\"Customer 7\"}}"));
        assertEquals(100, count("order_search", "{\"term\":{\"status\":\"shipped\"}}"));
        assertEquals("New Customer", get("order_search", "3001").path("customer_name").asText());
        // everything matches PostgreSQL row for row
        try (Connection c = pgConnect(pgUrl); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*), sum(price) FROM products WHERE NOT is_deleted")) {
            rs.next();
            JsonNode sum = search("products", "{\"size\":0,\"aggs\":{\"s\":{\"sum\":{\"field\":\"price.num\"}}}}");
            assertEquals(rs.getLong(1), sum.path("hits").path("total").path("value").asLong());
            assertEquals(rs.getBigDecimal(2).doubleValue(), sum.path("aggregations").path("s").path("value").asDouble(), 0.01);
        }
    }

    private SyncEngine engine(Source source, Sink sink, CheckpointStore store) {
        return SyncEngine.builder().pipeline(run).source(source).sink(sink).checkpointStore(store).batchRows(500)
                .table(TableSync.incremental(TableSpec.of("public.products").withCursor("updated_at").withSoftDelete("is_deleted"))
                        .withTarget("products"))
                .table(TableSync.incremental(TableSpec.of("public.order_search").withKey("id").withCursor("updated_at")
                        .withSoftDelete("is_deleted")).withTarget("order_search"))
                .build();
    }

    private long count(String table, String query) {
        return search(table, "{\"size\":0,\"track_total_hits\":true,\"query\":" + query + "}").path("hits").path("total").path("value").asLong();
    }

    private JsonNode search(String table, String body) {
        try (ElasticSink s = ElasticTesting.sink(Map.of())) {
            Request r = new Request("POST", "/" + run + "_" + table + "/_search");
            r.setEntity(new NStringEntity(body, ContentType.APPLICATION_JSON));
            return s.connection().call("search", r);
        }
    }

    private JsonNode get(String table, String id) {
        try (ElasticSink s = ElasticTesting.sink(Map.of())) {
            return s.connection().call("get", new Request("GET", "/" + run + "_" + table + "/_doc/" + id)).path("_source");
        }
    }

    private Connection pgConnect(String url) throws SQLException {
        return pg.username() == null ? DriverManager.getConnection(url) : DriverManager.getConnection(url, pg.username(), pg.password());
    }
}
