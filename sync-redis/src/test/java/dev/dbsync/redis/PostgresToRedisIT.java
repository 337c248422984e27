package dev.dbsync.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.postgres.PostgresSourceFactory;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.CrashPoint;
import dev.dbsync.testkit.CrashingSink;
import dev.dbsync.testkit.PostgresServer;
import dev.dbsync.testkit.TestValues;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A PostgreSQL shop kept in Redis: customers, products and orders as hashes and as JSON documents, updates, soft
 * deletes (incremental) and hard deletes (change feed), the secondary indexes consistent with the source, also
 * after a run that was killed and resumed. Both servers are real: the test kit's PostgreSQL and this module's Redis.
 */
class PostgresToRedisIT {

    private final String url = PostgresServer.get().createDatabase("shop");

    private Connection pg() throws SQLException {
        return PostgresServer.get().connect(url);
    }

    private void sql(String... statements) throws SQLException {
        try (Connection c = pg(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    private void createShop(int orders) throws SQLException {
        sql("CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text, updated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE products (id bigint PRIMARY KEY, title text NOT NULL, price numeric(10,2), tags text[], "
                        + "attributes jsonb, updated_at timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, amount numeric(12,2), "
                        + "placed_on date, updated_at timestamptz NOT NULL DEFAULT now(), is_deleted boolean NOT NULL DEFAULT false)",
                "INSERT INTO customers SELECT g, 'customer ' || g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'c' || g || '@example.com' END "
                        + "FROM generate_series(1, 40) g",
                "INSERT INTO products SELECT g, 'product ' || g || ' ünï:%~', (g * 1.25)::numeric(10,2), ARRAY['t' || g, 'x'], "
                        + "jsonb_build_object('color', 'c' || g, 'sizes', jsonb_build_array(1, 2)), now() - (g || ' minutes')::interval "
                        + "FROM generate_series(1, 25) g",
                "INSERT INTO orders SELECT g, 1 + g % 40, CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'new' END, (g * 3.5)::numeric(12,2), "
                        + "date '2024-01-01' + g % 300, now(), false FROM generate_series(1, " + orders + ") g");
    }

    private Source source(String slot) {
        PostgresSourceFactory f = new PostgresSourceFactory();
        Map<String, Object> m = new HashMap<>();
        m.put("url", url);
        if (PostgresServer.get().username() != null) {
            m.put("user", PostgresServer.get().username());
        }
        if (PostgresServer.get().password() != null) {
            m.put("password", PostgresServer.get().password());
        }
        m.put("slot.name", slot);
        m.put("publication.name", slot);
        return f.create(f.configDef().parse(m));
    }

    private static SyncReport run(String pipeline, Source source, Sink sink, dev.dbsync.spi.CheckpointStore store, List<TableSync> tables) {
        try (SyncEngine engine = SyncEngine.builder().pipeline(pipeline).source(source).sink(sink).checkpointStore(store)
                .tables(tables).batchRows(100).streamIdle(Duration.ofMillis(800))
                .retryPolicy(dev.dbsync.engine.RetryPolicy.none()).build()) {
            return engine.runOnce();
        }
    }

    /** Rows of a PostgreSQL query as column → value maps, by id. */
    private Map<Long, Map<String, Object>> pgRows(String query) throws SQLException {
        Map<Long, Map<String, Object>> out = new HashMap<>();
        try (Connection c = pg(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, Object> row = new HashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getObject(i));
                }
                out.put(rs.getLong("id"), row);
            }
        }
        return out;
    }

    /** Redis holds exactly the live source rows of the table, column by column. */
    private static void assertSame(String what, Map<Long, Map<String, Object>> expected, List<Map<String, Object>> actual) {
        assertEquals(expected.keySet().size(), actual.size(), what + ": row count");
        for (Map<String, Object> row : actual) {
            long id = ((Number) row.get("id")).longValue();
            Map<String, Object> e = expected.get(id);
            assertTrue(e != null, what + ": key " + id + " is not a live source row");
            for (Map.Entry<String, Object> col : e.entrySet()) {
                Object ev = col.getValue();
                Object av = row.get(col.getKey());
                if (ev instanceof java.sql.Timestamp) {
                    ev = ((java.sql.Timestamp) ev).toInstant();
                } else if (ev instanceof java.time.OffsetDateTime) {
                    ev = ((java.time.OffsetDateTime) ev).toInstant();
                } else if (ev instanceof java.sql.Date) {
                    ev = ((java.sql.Date) ev).toLocalDate();
                } else if (ev instanceof java.sql.Array || ev instanceof org.postgresql.util.PGobject) {
                    continue; // arrays and jsonb are compared through their own assertions below
                }
                assertTrue(TestValues.same(ev, av), what + ": key " + id + ", column " + col.getKey() + ": expected "
                        + TestValues.show(ev) + " but was " + TestValues.show(av));
            }
        }
    }

    /** Every customer's order set in Redis equals the source's live orders of that customer. */
    private void assertCustomerIndex(String prefix) throws SQLException {
        Map<Long, Set<String>> expected = new HashMap<>();
        for (Map<String, Object> o : pgRows("SELECT id, customer_id FROM orders WHERE NOT is_deleted").values()) {
            expected.computeIfAbsent(((Number) o.get("customer_id")).longValue(), k -> new HashSet<>()).add(o.get("id").toString());
        }
        try (Jedis j = RedisTestServer.get().jedis()) {
            for (long customer = 1; customer <= 41; customer++) {
                assertEquals(expected.getOrDefault(customer, Set.of()), j.smembers(prefix + ":orders:~idx:customer_id:" + customer),
                        "orders of customer " + customer);
            }
            assertEquals(expected.values().stream().mapToInt(Set::size).sum(), j.zcard(prefix + ":orders:~by:updated_at"),
                    "the sorted index holds every live order");
        }
    }

    @Test
    void aShopAsHashesAndAsJsonWithUpdatesSoftDeletesAndIndexes() throws Exception {
        createShop(300);
        List<TableSync> tables = List.of(
                TableSync.incremental(TableSpec.of("public.customers").withCursor("updated_at")),
                TableSync.full(TableSpec.of("public.products")),
                TableSync.incremental(TableSpec.of("public.orders").withCursor("updated_at").withSoftDelete("is_deleted")));
        String hashes = Fixtures.uniquePrefix("shop");
        String json = Fixtures.uniquePrefix("shopjson");
        Object[] indexes = {"index.sets", List.of("orders=customer_id", "orders=status"),
            "index.sorted", List.of("orders=updated_at", "products=price"), "ttl.tables", List.of("products=1h")};
        for (int round = 0; round < 2; round++) {
            for (String prefix : List.of(hashes, json)) {
                List<Object> settings = new ArrayList<>(List.of(indexes));
                if (prefix.equals(json)) {
                    settings.addAll(List.of("value.format", "json"));
                }
                RedisSink sink = Fixtures.sink(prefix, settings.toArray());
                SyncReport r = run("shop-" + prefix, source("unused"), sink, sink.checkpointStore().orElseThrow(), tables);
                sink.close();
                assertTrue(r.succeeded(), r::toText);
                assertSame(prefix + " customers", pgRows("SELECT id, name, email, updated_at FROM customers"),
                        readTable(prefix, "customers"));
                assertSame(prefix + " products", pgRows("SELECT id, title, price, updated_at FROM products"), readTable(prefix, "products"));
                assertSame(prefix + " orders", pgRows("SELECT id, customer_id, status, amount, placed_on, updated_at FROM orders WHERE NOT is_deleted"),
                        readTable(prefix, "orders"));
                assertCustomerIndex(prefix);
                Map<String, Object> product = readTable(prefix, "products").get(0);
                assertEquals(List.of("t" + product.get("id"), "x"), product.get("tags"));
                assertEquals("c" + product.get("id"), ((Map<?, ?>) product.get("attributes")).get("color"));
                try (Jedis j = RedisTestServer.get().jedis()) {
                    assertTrue(j.pttl(prefix + ":products:1") > 0, "products carry their TTL");
                    assertTrue(j.hexists(prefix + ":~dbsync:cp:shop-" + prefix, "public.orders"), "checkpoints kept in Redis");
                }
            }
            if (round == 0) {
                // moves between customers, status changes, soft deletes, new rows, a NULL that must not linger
                sql("UPDATE orders SET customer_id = 41, status = 'shipped', updated_at = now() WHERE id BETWEEN 10 AND 29",
                        "UPDATE orders SET is_deleted = true, updated_at = now() WHERE id BETWEEN 50 AND 59",
                        "UPDATE orders SET amount = NULL, updated_at = now() WHERE id = 77",
                        "INSERT INTO orders SELECT g, 7, 'new', 1.00, NULL, now(), false FROM generate_series(301, 305) g",
                        "UPDATE customers SET email = NULL, updated_at = now() WHERE id = 3",
                        "UPDATE products SET price = 999.99, updated_at = now() WHERE id = 4");
                Thread.sleep(50);
            }
        }
        try (Jedis j = RedisTestServer.get().jedis()) {
            assertFalse(j.hexists(hashes + ":orders:77", "amount"), "a column that became NULL is gone from the hash");
            assertFalse(j.exists(hashes + ":orders:55"), "a soft-deleted order is gone");
            assertEquals(List.of("4"), j.zrevrange(hashes + ":products:~by:price", 0, 0), "the most expensive product");
        }
    }

    private static List<Map<String, Object>> readTable(String prefix, String table) {
        try (RedisSource src = Fixtures.source(prefix)) {
            TableSchema s = src.describe(TableSpec.of(table));
            return Fixtures.readAll(prefix, s);
        }
    }

    /**
     * The change feed carries hard deletes; a run killed after its write (before the checkpoint) is resumed by a new
     * process and Redis ends equal to the source, indexes included.
     */
    @Test
    void theChangeFeedWithHardDeletesAfterAKillAndResume() throws Exception {
        createShop(200);
        String prefix = Fixtures.uniquePrefix("cdc");
        String slot = "r" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        List<TableSync> tables = List.of(TableSync.cdc(TableSpec.of("public.orders").withSoftDelete("is_deleted")));
        Object[] settings = {"index.sets", List.of("orders=customer_id"), "index.sorted", List.of("orders=updated_at"),
            "lease.ttl", "2s"};
        RedisSink first = Fixtures.sink(prefix, settings);
        SyncReport r1 = run("cdc", source(slot), first, first.checkpointStore().orElseThrow(), tables);
        first.close();
        assertTrue(r1.succeeded(), r1::toText);
        sql("DELETE FROM orders WHERE id BETWEEN 1 AND 15",
                "UPDATE orders SET customer_id = 41, updated_at = now() WHERE id BETWEEN 100 AND 120",
                "UPDATE orders SET is_deleted = true, updated_at = now() WHERE id BETWEEN 150 AND 154",
                "INSERT INTO orders SELECT g, 9, 'new', 2.00, NULL, now(), false FROM generate_series(201, 230) g");
        RedisSink doomed = Fixtures.sink(prefix, settings);
        CrashingSink crashing = new CrashingSink(doomed, CrashPoint.AFTER_WRITE, 1);
        SyncReport crashed = run("cdc", source(slot), crashing, doomed.checkpointStore().orElseThrow(), tables);
        assertTrue(crashing.crashed(), "the run was killed after a write");
        assertFalse(crashed.succeeded());
        // the killed process neither releases its lease nor renews it
        ((RedisCheckpointStore) doomed.checkpointStore().orElseThrow()).abandon();
        RedisSink resumed = Fixtures.sink(prefix, settings);
        dev.dbsync.spi.CheckpointStore store = resumed.checkpointStore().orElseThrow();
        SyncReport r2 = null;
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (r2 == null) {
            try {
                r2 = run("cdc", source(slot), resumed, store, tables);
            } catch (dev.dbsync.spi.LeaseException e) {
                // the killed process's lease expires within lease.ttl
                if (System.nanoTime() > until) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
        SyncReport done = r2;
        resumed.close();
        assertTrue(done.succeeded(), done::toText);
        assertSame("orders after kill and resume", pgRows("SELECT id, customer_id, status, amount, placed_on, updated_at FROM orders WHERE NOT is_deleted"),
                readTable(prefix, "orders"));
        assertCustomerIndex(prefix);
        try (Jedis j = RedisTestServer.get().jedis()) {
            assertFalse(j.exists(prefix + ":orders:3"), "a hard delete from the change feed removed the key");
        }
    }
}
