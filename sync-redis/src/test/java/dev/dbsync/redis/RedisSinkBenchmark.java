package dev.dbsync.redis;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;

/**
 * Sink rows/s beside the raw driver writing the same rows in the same run, on one connection each.
 *
 * <ul>
 *   <li>{@code raw}: one pipelined {@code HSET} per row of the same field texts, synced every 1,000 rows, no
 *       transaction — the baseline of the issue;</li>
 *   <li>{@code raw-tx}: the same {@code HSET}s wrapped as the sink wraps its rows: a {@code MULTI … EXEC} per 200
 *       rows, synced every 10,000 (the sink's batch);</li>
 *   <li>{@code sink}: the sink with its defaults, every row versioned (compare-and-set, versions in {@code ~ver}),
 *       batches of 10,000, a {@code MULTI … EXEC} per {@code rows.per.script} rows;</li>
 *   <li>{@code sink+chg}: the same with {@code change.index: true} (every change numbered for the source);</li>
 *   <li>{@code sink-v0}: rows without versions (no compare-and-set);</li>
 *   <li>{@code sink+cp}: defaults, each batch one {@code MULTI … EXEC} with the checkpoint of the sink's own store.</li>
 * </ul>
 * The variants run in a different order each round; each round prints rows/s and the CPU each side cost per row (this
 * JVM's writing thread plus the Redis server's CPU, from {@code INFO cpu}), and the ratios to {@code raw} by wall time
 * and by CPU; the end prints the median, min and max of each ratio. On a machine shared with other work the wall-clock
 * ratio swings with the scheduler, the CPU cost much less.
 *
 * <p>Run by hand: {@code ../mvnw -q test-compile exec:java -Dexec.mainClass=dev.dbsync.redis.RedisSinkBenchmark
 * -Dexec.classpathScope=test -Dexec.args="200000 5"} (rows, rounds). Uses {@code DBSYNC_IT_REDIS_URL} or starts a
 * server as the tests do.
 */
public final class RedisSinkBenchmark {

    private RedisSinkBenchmark() {
    }

    static TableSchema schema(String name) {
        return new TableSchema(name, List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("customer_id", LogicalType.INT64),
                Column.of("status", LogicalType.STRING),
                Column.decimal("amount", 12, 2),
                Column.of("currency", LogicalType.STRING),
                Column.of("note", LogicalType.STRING),
                Column.of("created_at", LogicalType.TIMESTAMP_TZ),
                Column.of("updated_at", LogicalType.TIMESTAMP_TZ)), List.of("id"));
    }

    static Object[] row(long id) {
        Instant t = Instant.parse("2024-01-01T00:00:00Z").plusMillis(id * 1_237);
        return new Object[] {id, id % 10_000, id % 7 == 0 ? "paid" : "new", BigDecimal.valueOf(id % 100_000, 2), "EUR",
            "order note " + id, t, t.plusSeconds(60)};
    }

    private static final String[] VARIANTS = {"raw", "raw-tx", "sink", "sink+chg", "sink-v0", "sink+cp"};

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        RedisTestServer server = RedisTestServer.get();
        System.out.println("server: " + server.kind + "; " + rows + " rows of 8 columns per variant and round, one connection each");
        TableSchema schema = schema("orders");
        List<Object[]> data = new ArrayList<>(rows);
        for (long i = 1; i <= rows; i++) {
            data.add(row(i));
        }
        Map<String, List<Double>> wallRatios = new java.util.LinkedHashMap<>();
        Map<String, List<Double>> cpuRatios = new java.util.LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            Map<String, double[]> got = new HashMap<>();
            for (int v = 0; v < VARIANTS.length; v++) {
                String variant = VARIANTS[(v + round - 1) % VARIANTS.length];
                String prefix = Fixtures.uniquePrefix("bench");
                double[] c0 = cpu(server);
                double rate = run(variant, server, prefix, schema, data);
                double[] c1 = cpu(server);
                got.put(variant, new double[] {rate, (c1[0] - c0[0]) * 1e6 / rows, (c1[1] - c0[1]) * 1e6 / rows});
                try (Jedis j = server.jedis()) {
                    clean(j, prefix);
                }
            }
            double[] raw = got.get("raw");
            System.out.printf("round %d (order from %s)%n", round, VARIANTS[(round - 1) % VARIANTS.length]);
            System.out.printf("  %-9s %12s %26s %14s %13s%n", "variant", "rows/s", "CPU us/row (client+Redis)", "ratio by wall", "ratio by CPU");
            for (String variant : VARIANTS) {
                double[] g = got.get(variant);
                double wall = g[0] / raw[0];
                double cpu = (raw[1] + raw[2]) / (g[1] + g[2]);
                System.out.printf("  %-9s %,12.0f %9.1f (%.1f + %.1f) %19.2f %13.2f%n", variant, g[0], g[1] + g[2], g[1], g[2], wall, cpu);
                wallRatios.computeIfAbsent(variant, k -> new ArrayList<>()).add(wall);
                cpuRatios.computeIfAbsent(variant, k -> new ArrayList<>()).add(cpu);
            }
        }
        System.out.println("ratio to raw over " + rounds + " rounds: median (min-max)");
        for (String variant : VARIANTS) {
            System.out.printf("  %-9s by wall %s, by CPU %s%n", variant, summary(wallRatios.get(variant)), summary(cpuRatios.get(variant)));
        }
        System.exit(0);
    }

    private static String summary(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        v.sort(Double::compare);
        return String.format("%.2f (%.2f-%.2f)", v.get(v.size() / 2), v.get(0), v.get(v.size() - 1));
    }

    private static double run(String variant, RedisTestServer server, String prefix, TableSchema schema, List<Object[]> data) {
        switch (variant) {
            case "raw":
                return raw(server, prefix, schema, data, false);
            case "raw-tx":
                return raw(server, prefix, schema, data, true);
            case "sink":
                return sink(prefix, schema, data, false, true);
            case "sink+chg":
                return sink(prefix, schema, data, false, true, "change.index", "true");
            case "sink-v0":
                return sink(prefix, schema, data, false, false);
            case "sink+cp":
                return sink(prefix, schema, data, true, true);
            default:
                throw new IllegalArgumentException(variant);
        }
    }

    /** CPU seconds so far: this thread, and the Redis server (user + system). */
    private static double[] cpu(RedisTestServer server) {
        double client = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1e9;
        double redis = 0;
        try (Jedis j = server.jedis()) {
            for (String line : j.info("cpu").split("\r?\n")) {
                if (line.startsWith("used_cpu_user:") || line.startsWith("used_cpu_sys:")) {
                    redis += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        }
        return new double[] {client, redis};
    }

    private static double raw(RedisTestServer server, String prefix, TableSchema schema, List<Object[]> data, boolean tx) {
        List<Column> cols = schema.columns();
        long start = System.nanoTime();
        try (Jedis j = server.jedis()) {
            Pipeline p = j.pipelined();
            int n = 0;
            for (Object[] r : data) {
                if (tx && n % 200 == 0) {
                    p.sendCommand(Protocol.Command.MULTI, new byte[0][]);
                }
                Map<String, String> h = new HashMap<>();
                for (int i = 0; i < cols.size(); i++) {
                    if (r[i] != null) {
                        h.put(cols.get(i).name(), r[i] instanceof BigDecimal ? ((BigDecimal) r[i]).toPlainString() : r[i].toString());
                    }
                }
                p.hset(prefix + ":orders:" + r[0], h);
                n++;
                if (tx && (n % 200 == 0 || n == data.size())) {
                    p.sendCommand(Protocol.Command.EXEC, new byte[0][]);
                }
                if (n % (tx ? 10_000 : 1_000) == 0) {
                    p.sync();
                }
            }
            p.sync();
        }
        return data.size() / ((System.nanoTime() - start) / 1e9);
    }

    private static double sink(String prefix, TableSchema schema, List<Object[]> data, boolean checkpoint, boolean versioned,
                               Object... settings) {
        try (RedisSink sink = Fixtures.sink(prefix, settings)) {
            TableWriter w = sink.open(schema);
            dev.dbsync.spi.CheckpointStore store = sink.checkpointStore().orElseThrow();
            dev.dbsync.spi.Lease lease = checkpoint ? store.acquire("bench", "bench") : null;
            long start = System.nanoTime();
            long written = 0;
            for (int from = 0; from < data.size(); from += 10_000) {
                List<ChangeEvent> batch = new ArrayList<>(10_000);
                for (Object[] r : data.subList(from, Math.min(data.size(), from + 10_000))) {
                    Object[] key = {r[0]};
                    batch.add(ChangeEvent.upsert("orders", key, Arrays.copyOf(r, r.length), versioned ? (Long) r[0] : 0,
                            Position.ofOwned(key)));
                }
                WriteResult res = w.write(checkpoint
                        ? Batch.of(schema, batch, dev.dbsync.spi.CheckpointUpdate.of(lease, "orders", "after " + from))
                        : Batch.of(schema, batch));
                written += res.upserted();
            }
            w.flush();
            w.close();
            if (lease != null) {
                store.release(lease);
            }
            double rate = data.size() / ((System.nanoTime() - start) / 1e9);
            if (written != data.size()) {
                throw new IllegalStateException("the sink wrote " + written + " of " + data.size() + " rows");
            }
            return rate;
        }
    }

    private static void clean(Jedis j, String prefix) {
        redis.clients.jedis.params.ScanParams params = new redis.clients.jedis.params.ScanParams().match(prefix + ":*").count(5000);
        String cursor = "0";
        do {
            var r = j.scan(cursor, params);
            if (!r.getResult().isEmpty()) {
                j.unlink(r.getResult().toArray(new String[0]));
            }
            cursor = r.getCursor();
        } while (!cursor.equals("0"));
    }
}
