package dev.dbsync.redis;

import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.postgres.PostgresSourceFactory;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.LongConsumer;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Queries on the same orders in PostgreSQL and in the Redis the sink filled: point lookups by key, "orders of
 * customer N" (PostgreSQL: index on customer_id; Redis: the sink's set index, then the hashes in one pipeline),
 * "latest 10 orders" (PostgreSQL: index on updated_at; Redis: the sink's sorted index). Each query runs one at a
 * time from one thread, as an application serving requests would; ops/s and the median and p99 latencies are
 * printed. The orders get to Redis through the engine (PostgreSQL source, Redis sink), whose rate is printed too.
 *
 * <p>Run by hand: {@code ../mvnw -q test-compile exec:java -Dexec.mainClass=dev.dbsync.redis.RedisQueryBenchmark
 * -Dexec.classpathScope=test -Dexec.args="100000"} (orders).
 */
public final class RedisQueryBenchmark {

    private RedisQueryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int orders = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int customers = Math.max(1, orders / 20);
        String url = PostgresServer.get().createDatabase("querybench");
        try (Connection c = PostgresServer.get().connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, "
                    + "amount numeric(12,2), note text, updated_at timestamptz NOT NULL)");
            st.execute("INSERT INTO orders SELECT g, 1 + g % " + customers + ", CASE WHEN g % 3 = 0 THEN 'paid' ELSE 'new' END, "
                    + "(g % 100000) / 100.0, 'note ' || g, timestamptz '2024-01-01' + (g || ' seconds')::interval "
                    + "FROM generate_series(1, " + orders + ") g");
            st.execute("CREATE INDEX ON orders (customer_id)");
            st.execute("CREATE INDEX ON orders (updated_at)");
            st.execute("ANALYZE orders");
        }
        String prefix = Fixtures.uniquePrefix("qbench");
        Map<String, Object> src = new HashMap<>();
        src.put("url", url);
        if (PostgresServer.get().username() != null) {
            src.put("user", PostgresServer.get().username());
        }
        if (PostgresServer.get().password() != null) {
            src.put("password", PostgresServer.get().password());
        }
        PostgresSourceFactory pf = new PostgresSourceFactory();
        RedisSink sink = Fixtures.sink(prefix, "index.sets", List.of("orders=customer_id"), "index.sorted", List.of("orders=updated_at"));
        long t0 = System.nanoTime();
        SyncReport r;
        try (SyncEngine engine = SyncEngine.builder().pipeline("qbench").source(pf.create(pf.configDef().parse(src))).sink(sink)
                .table(TableSync.incremental(TableSpec.of("public.orders").withCursor("updated_at"))).build()) {
            r = engine.runOnce();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        sink.close();
        if (!r.succeeded()) {
            throw new IllegalStateException(r.toText());
        }
        System.out.printf("server: %s; PostgreSQL %s; %,d orders, %,d customers%n", RedisTestServer.get().kind,
                PostgresServer.get().kind(), orders, customers);
        System.out.printf("sync PostgreSQL -> Redis (engine, hashes, set + sorted index): %,.0f rows/s (%.1f s)%n", orders / secs, secs);
        Random rnd = new Random(42);
        int n = 20_000;
        try (Connection c = PostgresServer.get().connect(url); Jedis j = RedisTestServer.get().jedis()) {
            PreparedStatement byId = c.prepareStatement("SELECT * FROM orders WHERE id = ?");
            PreparedStatement byCustomer = c.prepareStatement("SELECT * FROM orders WHERE customer_id = ?");
            PreparedStatement latest = c.prepareStatement("SELECT * FROM orders ORDER BY updated_at DESC LIMIT 10");
            for (int round = 0; round < 2; round++) {
                String label = round == 0 ? "(warm-up) " : "";
                time(label + "PostgreSQL point lookup by primary key", n, i -> {
                    try {
                        byId.setLong(1, 1 + rnd.nextInt(orders));
                        try (ResultSet rs = byId.executeQuery()) {
                            rs.next();
                        }
                    } catch (java.sql.SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                time(label + "Redis point lookup HGETALL", n, i -> j.hgetAll(prefix + ":orders:" + (1 + rnd.nextInt(orders))));
                time(label + "PostgreSQL orders of a customer (index)", n / 4, i -> {
                    try {
                        byCustomer.setLong(1, 1 + rnd.nextInt(customers));
                        try (ResultSet rs = byCustomer.executeQuery()) {
                            while (rs.next()) {
                                rs.getLong(1);
                            }
                        }
                    } catch (java.sql.SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                time(label + "Redis orders of a customer (SMEMBERS + pipelined HGETALL)", n / 4, i -> {
                    Set<String> ids = j.smembers(prefix + ":orders:~idx:customer_id:" + (1 + rnd.nextInt(customers)));
                    Pipeline p = j.pipelined();
                    List<Response<Map<String, String>>> rows = ids.stream().map(id -> p.hgetAll(prefix + ":orders:" + id)).toList();
                    p.sync();
                    rows.forEach(Response::get);
                });
                time(label + "PostgreSQL latest 10 orders (index)", n / 4, i -> {
                    try (ResultSet rs = latest.executeQuery()) {
                        while (rs.next()) {
                            rs.getLong(1);
                        }
                    } catch (java.sql.SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                time(label + "Redis latest 10 orders (ZREVRANGE + pipelined HGETALL)", n / 4, i -> {
                    List<String> ids = j.zrevrange(prefix + ":orders:~by:updated_at", 0, 9);
                    Pipeline p = j.pipelined();
                    List<Response<Map<String, String>>> rows = ids.stream().map(id -> p.hgetAll(prefix + ":orders:" + id)).toList();
                    p.sync();
                    rows.forEach(Response::get);
                });
            }
        }
        System.exit(0);
    }

    private static void time(String what, int n, LongConsumer op) {
        long[] lat = new long[n];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            op.accept(i);
            lat[i] = System.nanoTime() - t;
        }
        double secs = (System.nanoTime() - start) / 1e9;
        Arrays.sort(lat);
        System.out.printf("%-66s %,9.0f ops/s  p50 %6.1f us  p99 %7.1f us%n", what, n / secs, lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3);
    }
}
