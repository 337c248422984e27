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

/**
 * Sink rows/s beside the raw driver doing the same work in the same run: the raw side sends one pipelined
 * {@code HSET} per row of the same field texts (synced every 1,000 rows); the sink writes the same rows in
 * batches of 10,000 with everything it does (versions compared in Lua, change index, one MULTI/EXEC per batch).
 * Rounds alternate so both sides see the same machine state; the ratio is printed per round and as the median.
 * Beside wall-clock rates it prints the CPU each side cost per row (this JVM's writing thread plus the Redis
 * server's CPU, from {@code INFO cpu}): on a machine shared with other work the wall-clock ratio swings with the
 * scheduler, the CPU cost does not.
 *
 * <p>Run by hand: {@code ../mvnw -q test-compile exec:java -Dexec.mainClass=dev.dbsync.redis.RedisSinkBenchmark
 * -Dexec.classpathScope=test -Dexec.args="200000 3"} (rows, rounds). Uses {@code DBSYNC_IT_REDIS_URL} or starts a
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

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        RedisTestServer server = RedisTestServer.get();
        System.out.println("server: " + server.kind + "; " + rows + " rows of 8 columns per side and round");
        TableSchema schema = schema("orders");
        List<Object[]> data = new ArrayList<>(rows);
        for (long i = 1; i <= rows; i++) {
            data.add(row(i));
        }
        List<Double> ratios = new ArrayList<>();
        List<Double> cpuRatios = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            String rawPrefix = Fixtures.uniquePrefix("benchraw");
            String sinkPrefix = Fixtures.uniquePrefix("benchsink");
            double[] c0 = cpu(server);
            double raw = raw(server, rawPrefix, schema, data);
            double[] c1 = cpu(server);
            double sink = sink(sinkPrefix, schema, data, false);
            double[] c2 = cpu(server);
            double withCheckpoint = sink(Fixtures.uniquePrefix("benchcp"), schema, data, true);
            double rawCpu = (c1[0] - c0[0] + c1[1] - c0[1]) * 1e6 / data.size();
            double sinkCpu = (c2[0] - c1[0] + c2[1] - c1[1]) * 1e6 / data.size();
            ratios.add(sink / raw);
            cpuRatios.add(rawCpu / sinkCpu);
            System.out.printf("round %d: raw pipelined HSET %,.0f rows/s; sink %,.0f rows/s (ratio %.2f); sink with the checkpoint "
                    + "in each batch's MULTI %,.0f rows/s (ratio %.2f)%n", round, raw, sink, sink / raw, withCheckpoint, withCheckpoint / raw);
            System.out.printf("         CPU per row: raw %.1f us (client %.1f + Redis %.1f), sink %.1f us (client %.1f + Redis %.1f); "
                    + "raw/sink %.2f%n", rawCpu, (c1[0] - c0[0]) * 1e6 / data.size(), (c1[1] - c0[1]) * 1e6 / data.size(), sinkCpu,
                    (c2[0] - c1[0]) * 1e6 / data.size(), (c2[1] - c1[1]) * 1e6 / data.size(), rawCpu / sinkCpu);
            try (Jedis j = server.jedis()) {
                clean(j, rawPrefix);
                clean(j, sinkPrefix);
            }
        }
        ratios.sort(Double::compare);
        cpuRatios.sort(Double::compare);
        System.out.printf("median ratio sink / raw rows/s: %.2f (min %.2f, max %.2f); by CPU per row: %.2f (min %.2f, max %.2f)%n",
                ratios.get(ratios.size() / 2), ratios.get(0), ratios.get(ratios.size() - 1),
                cpuRatios.get(cpuRatios.size() / 2), cpuRatios.get(0), cpuRatios.get(cpuRatios.size() - 1));
        System.exit(0);
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

    private static double raw(RedisTestServer server, String prefix, TableSchema schema, List<Object[]> data) {
        List<Column> cols = schema.columns();
        long start = System.nanoTime();
        try (Jedis j = server.jedis()) {
            Pipeline p = j.pipelined();
            int n = 0;
            for (Object[] r : data) {
                Map<String, String> h = new HashMap<>();
                for (int i = 0; i < cols.size(); i++) {
                    if (r[i] != null) {
                        h.put(cols.get(i).name(), r[i] instanceof BigDecimal ? ((BigDecimal) r[i]).toPlainString() : r[i].toString());
                    }
                }
                p.hset(prefix + ":orders:" + r[0], h);
                if (++n % 1000 == 0) {
                    p.sync();
                }
            }
            p.sync();
        }
        return data.size() / ((System.nanoTime() - start) / 1e9);
    }

    private static double sink(String prefix, TableSchema schema, List<Object[]> data, boolean checkpoint) {
        try (RedisSink sink = Fixtures.sink(prefix, "rows.per.script", Integer.getInteger("rows.per.script", 200))) {
            TableWriter w = sink.open(schema);
            dev.dbsync.spi.CheckpointStore store = sink.checkpointStore().orElseThrow();
            dev.dbsync.spi.Lease lease = checkpoint ? store.acquire("bench", "bench") : null;
            long start = System.nanoTime();
            long written = 0;
            for (int from = 0; from < data.size(); from += 10_000) {
                List<ChangeEvent> batch = new ArrayList<>(10_000);
                for (Object[] r : data.subList(from, Math.min(data.size(), from + 10_000))) {
                    Object[] key = {r[0]};
                    batch.add(ChangeEvent.upsert("orders", key, Arrays.copyOf(r, r.length), (Long) r[0], Position.ofOwned(key)));
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
