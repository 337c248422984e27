package dev.dbsync.neo4j;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ForeignKey;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.neo4j.driver.Driver;
import org.neo4j.driver.Session;

/**
 * Nodes/s and relationships/s of the Neo4j sink beside the raw driver doing the same work in the same run: plain
 * {@code UNWIND $rows … MERGE … SET} statements, one transaction per batch, with the same key constraints.
 * Customers are nodes; orders are nodes with a relationship to their customer; order items are relationships
 * with properties between orders and products. Each side writes its own labels, first creating everything,
 * then writing all of it again (the steady state of a sync: every row exists). The sink does more than the raw
 * statements: version guards, moving relationships whose reference changed, placeholders, counts. A warm-up of
 * both on a fifth of the data comes first; then two rounds, alternating which side goes first.
 *
 * <p>Run by hand: {@code mvn -q -pl sync-neo4j test-compile exec:java -Dexec.mainClass=dev.dbsync.neo4j.Neo4jBenchmark
 * -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false -Dexec.args="50000"} (orders; customers are a fifth,
 * products a tenth, two items per order). Uses {@code DBSYNC_IT_NEO4J_URL} or Neo4j in-process.
 */
public final class Neo4jBenchmark {

    private static final int BATCH = 10_000;

    private Neo4jBenchmark() {
    }

    public static void main(String[] args) {
        int orders = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int customers = Math.max(1, orders / 5);
        int products = Math.max(1, orders / 10);
        Neo4jTestServer server = Neo4jTestServer.get();
        System.out.printf("Neo4j: %s; %,d customers, %,d products, %,d orders, %,d order items; batches of %,d%n",
                server.kind, customers, products, orders, 2 * orders, BATCH);
        // a warm-up of both sides on a fifth of the data (JIT, query plans), not reported
        String warm = "w_" + Long.toString(System.nanoTime() % 100_000, 36);
        raw(server, "raw_" + warm, Math.max(1, customers / 5), Math.max(1, products / 5), Math.max(1, orders / 5));
        dbsync(server, "sync_" + warm, Math.max(1, customers / 5), Math.max(1, products / 5), Math.max(1, orders / 5));
        for (int round = 1; round <= 2; round++) {
            String tag = "r" + round + "_" + Long.toString(System.nanoTime() % 100_000, 36);
            // alternate which side goes first, so a warmer server does not favour one of them
            double[] raw;
            double[] sync;
            if (round % 2 == 1) {
                raw = raw(server, "raw_" + tag, customers, products, orders);
                sync = dbsync(server, "sync_" + tag, customers, products, orders);
            } else {
                sync = dbsync(server, "sync_" + tag, customers, products, orders);
                raw = raw(server, "raw_" + tag, customers, products, orders);
            }
            String[] what = {"create nodes/s", "create relationships/s", "rewrite nodes/s", "rewrite relationships/s"};
            System.out.printf("round %d%n", round);
            for (int i = 0; i < what.length; i++) {
                System.out.printf("  %-24s dbsync %,9.0f   raw %,9.0f   ratio %.2f%n", what[i], sync[i], raw[i], sync[i] / raw[i]);
            }
        }
        System.exit(0);
    }

    private static TableSchema customers(String p) {
        return new TableSchema(p + "_customers", List.of(Column.required("id", LogicalType.INT64), Column.of("name", LogicalType.STRING),
                Column.of("email", LogicalType.STRING), Column.of("updated_at", LogicalType.TIMESTAMP_TZ)), List.of("id"));
    }

    private static TableSchema products(String p) {
        return new TableSchema(p + "_products", List.of(Column.required("id", LogicalType.INT64), Column.of("name", LogicalType.STRING),
                Column.decimal("price", 10, 2)), List.of("id"));
    }

    private static TableSchema orders(String p) {
        return new TableSchema(p + "_orders", List.of(Column.required("id", LogicalType.INT64), Column.of("customer_id", LogicalType.INT64),
                Column.decimal("total", 12, 2), Column.of("updated_at", LogicalType.TIMESTAMP_TZ)), List.of("id"),
                List.of(new ForeignKey("fk_customer", List.of("customer_id"), p + "_customers", List.of("id"))));
    }

    private static TableSchema items(String p) {
        return new TableSchema(p + "_items", List.of(Column.required("order_id", LogicalType.INT64),
                Column.required("product_id", LogicalType.INT64), Column.of("quantity", LogicalType.INT32),
                Column.decimal("unit_price", 10, 2)), List.of("order_id", "product_id"),
                List.of(new ForeignKey("fk_order", List.of("order_id"), p + "_orders", List.of("id")),
                        new ForeignKey("fk_product", List.of("product_id"), p + "_products", List.of("id"))));
    }

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static Object[] customer(long id) {
        return new Object[] {id, "customer " + id, "c" + id + "@example.com", T0.plusSeconds(id)};
    }

    private static Object[] product(long id) {
        return new Object[] {id, "product " + id, new BigDecimal(id % 500 + ".99")};
    }

    private static Object[] order(long id, int customers) {
        return new Object[] {id, id % customers + 1, new BigDecimal(id % 1000 + ".50"), T0.plusSeconds(id)};
    }

    private static Object[] item(long order, int k, int products) {
        return new Object[] {order, (order * 7 + k * 13) % products + 1, k + 1, new BigDecimal("1.25")};
    }

    /** Writes everything twice through the sink; returns nodes/s and relationships/s of both passes. */
    private static double[] dbsync(Neo4jTestServer server, String p, int customers, int products, int orders) {
        Map<String, Object> cfg = server.settings("join.tables", List.of(p + "_items=CONTAINS_" + p.toUpperCase()));
        double[] out = new double[4];
        try (Sink sink = new Neo4jSinkFactory().create(new Neo4jSinkFactory().configDef().parse(cfg))) {
            TableSchema c = customers(p);
            TableSchema pr = products(p);
            TableSchema o = orders(p);
            TableSchema it = items(p);
            TableWriter cw = sink.open(c);
            TableWriter pw = sink.open(pr);
            TableWriter ow = sink.open(o);
            TableWriter iw = sink.open(it);
            for (int pass = 0; pass < 2; pass++) {
                long version = 1 + pass;
                long t0 = System.nanoTime();
                writeAll(cw, c, customers, id -> customer(id), version);
                writeAll(pw, pr, products, id -> product(id), version);
                writeAll(ow, o, orders, id -> order(id, customers), version);
                long t1 = System.nanoTime();
                writeAll(iw, it, 2 * orders, n -> item((n - 1) / 2 + 1, (int) ((n - 1) % 2), products), version);
                long t2 = System.nanoTime();
                out[pass * 2] = (customers + products + orders) / secs(t1 - t0);
                // order → customer relationships come with the orders, the items are relationships alone
                out[pass * 2 + 1] = (orders + 2.0 * orders) / secs(t2 - t0);
            }
        }
        return out;
    }

    private interface Row {
        Object[] of(long n);
    }

    private static void writeAll(TableWriter w, TableSchema s, int n, Row row, long version) {
        int[] k = s.keyIndexes();
        List<ChangeEvent> batch = new ArrayList<>(BATCH);
        for (long i = 1; i <= n; i++) {
            Object[] values = row.of(i);
            Object[] key = new Object[k.length];
            for (int j = 0; j < k.length; j++) {
                key[j] = values[k[j]];
            }
            batch.add(ChangeEvent.upsert(s.name(), key, values, version, Position.of(key)));
            if (batch.size() == BATCH || i == n) {
                w.write(Batch.of(s, batch));
                batch = new ArrayList<>(BATCH);
            }
        }
        w.flush();
    }

    /** The same work with plain statements through the driver. */
    private static double[] raw(Neo4jTestServer server, String p, int customers, int products, int orders) {
        String c = Cypher.id(p + "_customers");
        String pr = Cypher.id(p + "_products");
        String o = Cypher.id(p + "_orders");
        String rel = Cypher.id("CONTAINS_" + p.toUpperCase());
        Driver d = server.driver();
        double[] out = new double[4];
        try (Session s = d.session()) {
            for (String l : new String[] {c, pr, o}) {
                s.run("CREATE CONSTRAINT IF NOT EXISTS FOR (n:" + l + ") REQUIRE n.id IS UNIQUE").consume();
            }
            s.run("CREATE CONSTRAINT IF NOT EXISTS FOR ()-[r:" + rel + "]-() REQUIRE (r.order_id, r.product_id) IS UNIQUE").consume();
            String nodes = "UNWIND $rows AS r MERGE (n:%s {id: r.id}) SET n += r";
            String ordersQ = "UNWIND $rows AS r MERGE (o:" + o + " {id: r.id}) SET o += r WITH o, r "
                    + "MERGE (c:" + c + " {id: r.customer_id}) MERGE (o)-[:CUSTOMER]->(c)";
            String itemsQ = "UNWIND $rows AS r MERGE (o:" + o + " {id: r.order_id}) MERGE (p:" + pr + " {id: r.product_id}) "
                    + "MERGE (o)-[x:" + rel + " {order_id: r.order_id, product_id: r.product_id}]->(p) SET x += r";
            for (int pass = 0; pass < 2; pass++) {
                long t0 = System.nanoTime();
                rawAll(s, String.format(nodes, c), customers(p), customers, id -> customer(id));
                rawAll(s, String.format(nodes, pr), products(p), products, id -> product(id));
                rawAll(s, ordersQ, orders(p), orders, id -> order(id, customers));
                long t1 = System.nanoTime();
                rawAll(s, itemsQ, items(p), 2 * orders, n -> item((n - 1) / 2 + 1, (int) ((n - 1) % 2), products));
                long t2 = System.nanoTime();
                out[pass * 2] = (customers + products + orders) / secs(t1 - t0);
                out[pass * 2 + 1] = (orders + 2.0 * orders) / secs(t2 - t0);
            }
        }
        return out;
    }

    private static void rawAll(Session s, String cypher, TableSchema schema, int n, Row row) {
        List<Map<String, Object>> batch = new ArrayList<>(BATCH);
        for (long i = 1; i <= n; i++) {
            Object[] v = row.of(i);
            Map<String, Object> m = new HashMap<>();
            for (int j = 0; j < v.length; j++) {
                Object x = v[j];
                // the same conversions the sink makes: Neo4j has no decimal or instant parameters
                m.put(schema.columns().get(j).name(), x instanceof BigDecimal ? ((BigDecimal) x).toPlainString()
                        : x instanceof Instant ? ((Instant) x).atOffset(java.time.ZoneOffset.UTC) : x);
            }
            batch.add(m);
            if (batch.size() == BATCH || i == n) {
                List<Map<String, Object>> rows = batch;
                s.executeWrite(tx -> tx.run(cypher, Map.of("rows", rows)).consume());
                batch = new ArrayList<>(BATCH);
            }
        }
    }

    private static double secs(long nanos) {
        return nanos / 1e9;
    }
}
