package dev.dbsync.neo4j;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.postgres.PostgresSourceFactory;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;

/**
 * A shop in PostgreSQL synced into Neo4j through the engine (full sync, rows/s), then the graph queries users keep
 * the graph for beside the equivalent SQL joins on the same data: co-purchase recommendations ("bought with this
 * product") and a customer's 2-hop neighbourhood (customers who bought what they bought). Every answer is checked
 * to be the same in both databases.
 *
 * <p>Run by hand: {@code mvn -q -pl sync-neo4j test-compile exec:java
 * -Dexec.mainClass=dev.dbsync.neo4j.GraphQueriesBenchmark -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false
 * -Dexec.args="20000"} (orders).
 */
public final class GraphQueriesBenchmark {

    private GraphQueriesBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int orders = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int customers = Math.max(1, orders / 5);
        int products = Math.max(2, orders / 20);
        PostgresServer pg = PostgresServer.get();
        Neo4jTestServer neo = Neo4jTestServer.get();
        String url = pg.createDatabase("graph_bench");
        String tag = Long.toString(System.nanoTime() % 100_000, 36);
        try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE products (id bigint PRIMARY KEY, name text)");
            st.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text)");
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers)");
            st.execute("CREATE TABLE order_items (order_id bigint REFERENCES orders, product_id bigint REFERENCES products, "
                    + "quantity int, PRIMARY KEY (order_id, product_id))");
            st.execute("INSERT INTO products SELECT g, 'p' || g FROM generate_series(1, " + products + ") g");
            st.execute("INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, " + customers + ") g");
            st.execute("INSERT INTO orders SELECT g, (g * 7919) % " + customers + " + 1 FROM generate_series(1, " + orders + ") g");
            // popular products are bought more often: a skewed choice of three distinct products per order
            st.execute("INSERT INTO order_items SELECT DISTINCT o, (floor(power(random(), 2) * " + products + "))::bigint + 1, 1 "
                    + "FROM generate_series(1, " + orders + ") o, generate_series(1, 3) k ON CONFLICT DO NOTHING");
            st.execute("CREATE INDEX ON order_items (product_id)");
            st.execute("CREATE INDEX ON orders (customer_id)");
            st.execute("ANALYZE");
            long items;
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM order_items")) {
                rs.next();
                items = rs.getLong(1);
            }
            String product = "Product_" + tag;
            String customer = "Customer_" + tag;
            String order = "Order_" + tag;
            Map<String, Object> sinkCfg = neo.settings("labels", List.of("products=" + product, "customers=" + customer,
                    "orders=" + order), "join.tables", List.of("order_items=BOUGHT_" + tag.toUpperCase()));
            Map<String, Object> srcCfg = new HashMap<>();
            srcCfg.put("url", url);
            if (pg.username() != null) {
                srcCfg.put("user", pg.username());
            }
            if (pg.password() != null) {
                srcCfg.put("password", pg.password());
            }
            Sink sink = new Neo4jSinkFactory().create(new Neo4jSinkFactory().configDef().parse(sinkCfg));
            List<TableSync> tables = new ArrayList<>();
            for (String t : new String[] {"products", "customers", "orders", "order_items"}) {
                tables.add(TableSync.full(TableSpec.of("public." + t)));
            }
            SyncReport report;
            long t0 = System.nanoTime();
            try (SyncEngine engine = SyncEngine.builder().pipeline("graph_bench_" + tag)
                    .source(new PostgresSourceFactory().create(new PostgresSourceFactory().configDef().parse(srcCfg)))
                    .sink(sink).checkpointStore(CheckpointStores.memory()).tables(tables).build()) {
                report = engine.runOnce();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (!report.succeeded()) {
                throw new IllegalStateException(report.toText());
            }
            System.out.print(report.toText());
            long rows = products + customers + orders + items;
            System.out.printf("PostgreSQL → Neo4j full sync: %,d rows (%,d nodes, %,d relationships) in %.1f s = %,.0f rows/s%n",
                    rows, products + customers + orders, orders + items, secs, rows / secs);

            String rel = "BOUGHT_" + tag.toUpperCase();
            String coCypher = "MATCH (p:" + product + " {id: $id})<-[:" + rel + "]-(o)-[:" + rel + "]->(other:" + product + ") "
                    + "WHERE other <> p RETURN other.id AS id, count(DISTINCT o) AS n ORDER BY n DESC, id LIMIT 10";
            String coSql = "SELECT b.product_id, count(DISTINCT a.order_id) AS n FROM order_items a JOIN order_items b "
                    + "ON b.order_id = a.order_id AND b.product_id <> a.product_id WHERE a.product_id = ? "
                    + "GROUP BY b.product_id ORDER BY n DESC, b.product_id LIMIT 10";
            String hopCypher = "MATCH (c:" + customer + " {id: $id})<-[:CUSTOMER]-(:" + order + ")-[:" + rel + "]->(:" + product
                    + ")<-[:" + rel + "]-(:" + order + ")-[:CUSTOMER]->(other:" + customer + ") WHERE other <> c "
                    + "RETURN count(DISTINCT other) AS n";
            String hopSql = "SELECT count(DISTINCT o2.customer_id) FROM orders o1 JOIN order_items i1 ON i1.order_id = o1.id "
                    + "JOIN order_items i2 ON i2.product_id = i1.product_id JOIN orders o2 ON o2.id = i2.order_id "
                    + "WHERE o1.customer_id = ? AND o2.customer_id <> o1.customer_id";
            Random random = new Random(42);
            int runs = 200;
            long[] ids = new long[runs];
            for (int i = 0; i < runs; i++) {
                ids[i] = random.nextInt(Math.min(products, 50)) + 1; // the popular products: the expensive ones
            }
            compare("co-purchase top 10", c, coSql, coCypher, ids, neo);
            for (int i = 0; i < runs; i++) {
                ids[i] = random.nextInt(customers) + 1;
            }
            compare("customer 2-hop neighbourhood", c, hopSql, hopCypher, ids, neo);
        }
        System.exit(0);
    }

    private static void compare(String what, Connection c, String sql, String cypher, long[] ids, Neo4jTestServer neo) throws Exception {
        // one warm-up pass each, then the timed pass
        long[] sqlTimes = new long[2];
        long[] graphTimes = new long[2];
        for (int pass = 0; pass < 2; pass++) {
            long t0 = System.nanoTime();
            List<String> sqlAnswers = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (long id : ids) {
                    ps.setLong(1, id);
                    StringBuilder sb = new StringBuilder();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            sb.append(rs.getLong(1)).append(rs.getMetaData().getColumnCount() > 1 ? ":" + rs.getLong(2) : "").append(' ');
                        }
                    }
                    sqlAnswers.add(sb.toString());
                }
            }
            long t1 = System.nanoTime();
            List<String> graphAnswers = new ArrayList<>();
            try (Session s = neo.driver().session()) {
                for (long id : ids) {
                    StringBuilder sb = new StringBuilder();
                    for (Record r : s.run(cypher, Map.of("id", id)).list()) {
                        sb.append(r.get(0).asLong()).append(r.size() > 1 ? ":" + r.get(1).asLong() : "").append(' ');
                    }
                    graphAnswers.add(sb.toString());
                }
            }
            long t2 = System.nanoTime();
            if (!sqlAnswers.equals(graphAnswers)) {
                throw new IllegalStateException(what + ": the graph answers differently from SQL, e.g. " + sqlAnswers.get(0)
                        + " vs " + graphAnswers.get(0));
            }
            sqlTimes[pass] = t1 - t0;
            graphTimes[pass] = t2 - t1;
        }
        double sqlMs = sqlTimes[1] / 1e6 / ids.length;
        double graphMs = graphTimes[1] / 1e6 / ids.length;
        System.out.printf("%-30s PostgreSQL %.2f ms/query   Neo4j %.2f ms/query   Neo4j/PostgreSQL %.2f   (%d queries, same answers)%n",
                what, sqlMs, graphMs, graphMs / sqlMs, ids.length);
    }
}
