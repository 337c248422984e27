package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.RetryPolicy;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.PostgresServer;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL and MongoDB through the engine, both ways, each run killed (a write that dies) and resumed:
 * <ul>
 *   <li>a PostgreSQL shop (customers with JSON addresses, orders with arrays and decimals, order lines with a
 *       composite key and foreign keys) into MongoDB through PostgreSQL's change feed;</li>
 *   <li>MongoDB products with nested documents into PostgreSQL through change streams.</li>
 * </ul>
 * PostgreSQL is real (the test kit's); MongoDB is whatever {@link MongoTestServer} resolved (the output says).
 */
class PostgresMongoIT {

    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    @Test
    void aPostgresShopReachesMongoThroughTheChangeFeedAcrossACrash() throws Exception {
        MongoTestServer mongo = MongoTestServer.get();
        PostgresServer pg = PostgresServer.get();
        System.out.println("PostgresMongoIT runs against " + mongo.kind() + " and " + pg.kind());
        String url = pg.createDatabase("shop_to_mongo");
        String slot = "mongo_" + RUN;
        try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, address jsonb, created_at timestamptz NOT NULL)");
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, status text NOT NULL,"
                    + " total numeric(12,2) NOT NULL, tags text[], placed_at timestamptz NOT NULL)");
            st.execute("CREATE TABLE order_items (order_id bigint NOT NULL REFERENCES orders, line int NOT NULL, sku text NOT NULL,"
                    + " qty int NOT NULL, price numeric(10,2) NOT NULL, PRIMARY KEY (order_id, line))");
            st.execute("INSERT INTO customers SELECT g, 'customer ' || g, jsonb_build_object('city', 'City ' || (g % 7), 'zip', 1000 + g,"
                    + " 'lines', jsonb_build_array('Street ' || g)), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour'"
                    + " FROM generate_series(1, 40) g");
            st.execute("INSERT INTO orders SELECT g, 1 + g % 40, CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'new' END, (g * 7.25)::numeric(12,2),"
                    + " ARRAY['t' || (g % 4), 'all'], timestamptz '2024-02-01 00:00:00+00' + g * interval '1 minute' FROM generate_series(1, 150) g");
            st.execute("INSERT INTO order_items SELECT o, l, 'sku-' || (o * 10 + l), l, (l * 1.10)::numeric(10,2)"
                    + " FROM generate_series(1, 150) o, generate_series(1, 3) l");
        }
        Map<String, Object> source = new HashMap<>();
        source.put("url", url);
        source.put("user", pg.username());
        source.put("password", pg.password());
        source.put("slot.name", slot);
        source.put("publication.name", slot);
        String database = mongo.newDatabase();
        List<TableSync> tables = List.of(TableSync.cdc(TableSpec.of("public.customers")).withTarget("customers"),
                TableSync.cdc(TableSpec.of("public.orders")).withTarget("orders"),
                TableSync.cdc(TableSpec.of("public.order_items")).withTarget("order_items"));
        try {
            SyncReport crashed = runPgToMongo(source, database, tables, 5);
            assertFalse(crashed.succeeded(), "the first run dies at its fifth write");
            try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
                st.execute("UPDATE orders SET status = 'shipped', tags = ARRAY['shipped'] WHERE id % 10 = 0");
                st.execute("UPDATE customers SET address = jsonb_set(address, '{city}', '\"Moved\"') WHERE id <= 5");
                st.execute("DELETE FROM order_items WHERE order_id = 3 AND line = 2");
                st.execute("INSERT INTO orders VALUES (151, 1, 'new', 99.99, NULL, now())");
                st.execute("INSERT INTO order_items VALUES (151, 1, 'sku-new', 2, 49.99)");
            }
            SyncReport resumed = runPgToMongo(source, database, tables, -1);
            assertTrue(resumed.succeeded(), resumed.toText());
            MongoDatabase db = mongo.client().getDatabase(database);
            try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
                assertEquals(count(st, "customers"), db.getCollection("customers").countDocuments());
                assertEquals(count(st, "orders"), db.getCollection("orders").countDocuments());
                assertEquals(count(st, "order_items"), db.getCollection("order_items").countDocuments());
                try (ResultSet rs = st.executeQuery("SELECT id, status, total, tags FROM orders ORDER BY id")) {
                    while (rs.next()) {
                        Document d = db.getCollection("orders").find(Filters.eq("_id", rs.getLong(1))).first();
                        assertEquals(rs.getString(2), d.getString("status"), "order " + rs.getLong(1));
                        assertEquals(rs.getBigDecimal(3), ((Decimal128) d.get("total")).bigDecimalValue(), "numeric is Decimal128 exactly");
                        java.sql.Array tags = rs.getArray(4);
                        assertEquals(tags == null ? null : List.of((Object[]) tags.getArray()), d.get("tags"));
                    }
                }
            }
            Document moved = db.getCollection("customers").find(Filters.eq("_id", 3L)).first();
            assertEquals("Moved", ((Document) moved.get("address")).getString("city"), "jsonb is a nested document");
            assertEquals(List.of("Street 3"), ((Document) moved.get("address")).get("lines"));
            Document line = db.getCollection("order_items").find(Filters.eq("_id", new Document("order_id", 151L).append("line", 1))).first();
            assertEquals("sku-new", line.getString("sku"), "a composite key is an embedded _id in key order");
            assertEquals(0, db.getCollection("order_items").countDocuments(Filters.eq("_id", new Document("order_id", 3L).append("line", 2))));
        } finally {
            try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
            }
        }
    }

    private static long count(Statement st, String table) throws Exception {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static SyncReport runPgToMongo(Map<String, Object> sourceConfig, String database, List<TableSync> tables, int crashAt) {
        Source source = Connectors.load().createSource("postgres", sourceConfig);
        Sink real = new MongoSinkFactory().create(MongoTestServer.sinkConfig(database, Map.of()));
        CheckpointStore store = new MongoCheckpointStoreFactory().create(MongoTestServer.storeConfig(database, Map.of(MongoSettings.LEASE_TTL, "2s")));
        try (SyncEngine engine = SyncEngine.builder().pipeline("pg-to-mongo-" + RUN).source(source)
                .sink(crashAt < 0 ? real : new Crashing(real, crashAt)).checkpointStore(store).tables(tables)
                .batchRows(100).streamIdle(Duration.ofMillis(1000)).retryPolicy(RetryPolicy.none()).build()) {
            SyncReport r = engine.runOnce();
            System.out.println(r.toText());
            return r;
        }
    }

    @Test
    void mongoProductsReachPostgresThroughChangeStreamsAcrossACrash() throws Exception {
        MongoTestServer mongo = MongoTestServer.get();
        PostgresServer pg = PostgresServer.get();
        String url = pg.createDatabase("mongo_to_pg");
        String database = mongo.newDatabase();
        MongoCollection<Document> products = mongo.client().getDatabase(database).getCollection("products");
        List<Document> docs = new ArrayList<>();
        for (int i = 1; i <= 120; i++) {
            docs.add(product(i, "v1"));
        }
        products.insertMany(docs);
        SyncReport crashed = runMongoToPg(database, url, pg, 2);
        assertFalse(crashed.succeeded());
        for (int i = 121; i <= 130; i++) {
            products.insertOne(product(i, "between"));
        }
        products.updateOne(Filters.eq("_id", 1), Updates.set("dims.w", 99));
        products.replaceOne(Filters.eq("_id", 2), product(2, "replaced"));
        products.deleteOne(Filters.eq("_id", 3));
        SyncReport resumed = runMongoToPg(database, url, pg, -1);
        assertTrue(resumed.succeeded(), resumed.toText());
        products.insertOne(product(131, "streamed"));
        products.deleteOne(Filters.eq("_id", 4));
        SyncReport third = runMongoToPg(database, url, pg, -1);
        assertTrue(third.succeeded(), third.toText());

        Map<Integer, String> expected = new TreeMap<>();
        for (Document d : products.find()) {
            expected.put(d.getInteger("_id"), d.getString("name") + "|" + ((Decimal128) d.get("price")).bigDecimalValue()
                    + "|" + ((Document) d.get("dims")).get("w"));
        }
        Map<Integer, String> actual = new TreeMap<>();
        try (Connection c = pg.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT \"_id\", name, price, (dims->>'w')::int FROM products")) {
            while (rs.next()) {
                actual.put(rs.getInt(1), rs.getString(2) + "|" + rs.getBigDecimal(3) + "|" + rs.getInt(4));
            }
        }
        assertEquals(129, expected.size(), "131 inserted, 2 deleted");
        assertEquals(expected, actual, "PostgreSQL holds exactly the MongoDB documents");
    }

    private static Document product(int i, String note) {
        return new Document("_id", i).append("name", "product " + i + " " + note).append("price", new Decimal128(new BigDecimal(i + ".99")))
                .append("dims", new Document("w", i % 10).append("h", 5)).append("tags", List.of("a", "b" + i % 3))
                .append("added", new Date(1_700_000_000_000L + i));
    }

    private static SyncReport runMongoToPg(String database, String url, PostgresServer pg, int crashAt) {
        Map<String, Object> sink = new HashMap<>();
        sink.put("url", url);
        sink.put("user", pg.username());
        sink.put("password", pg.password());
        Sink real = Connectors.load().createSink("postgres", sink);
        CheckpointStore store = new MongoCheckpointStoreFactory().create(MongoTestServer.storeConfig(database, Map.of(MongoSettings.LEASE_TTL, "2s")));
        try (SyncEngine engine = SyncEngine.builder().pipeline("mongo-to-pg-" + RUN)
                .source(new MongoSourceFactory().create(MongoTestServer.sourceConfig(database, Map.of(MongoSettings.STREAM_MAX_AWAIT, "200ms"))))
                .sink(crashAt < 0 ? real : new Crashing(real, crashAt)).checkpointStore(store)
                .table(TableSync.cdc(TableSpec.of("products"))).batchRows(50).readRows(50).streamIdle(Duration.ofMillis(1000))
                .retryPolicy(RetryPolicy.none()).build()) {
            SyncReport r = engine.runOnce();
            System.out.println(r.toText());
            return r;
        }
    }

    /** A sink whose n-th write dies before anything of it is written, as a killed process would. */
    private static final class Crashing implements Sink {
        private final Sink real;
        private final AtomicInteger left;

        Crashing(Sink real, int at) {
            this.real = real;
            this.left = new AtomicInteger(at);
        }

        @Override
        public Set<SinkCapability> capabilities() {
            return real.capabilities();
        }

        @Override
        public Object storedForm(dev.dbsync.spi.Column column, Object value) {
            return real.storedForm(column, value);
        }

        @Override
        public TableWriter open(TableSchema schema) {
            TableWriter w = real.open(schema);
            return new TableWriter() {
                @Override
                public WriteResult write(Batch batch) {
                    if (left.decrementAndGet() <= 0) {
                        throw new IllegalStateException("simulated crash");
                    }
                    return w.write(batch);
                }

                @Override
                public void flush() {
                    w.flush();
                }

                @Override
                public void truncate() {
                    w.truncate();
                }

                @Override
                public void close() {
                    w.close();
                }
            };
        }

        @Override
        public void close() {
            real.close();
        }
    }
}
