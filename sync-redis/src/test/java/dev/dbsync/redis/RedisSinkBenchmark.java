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
        for (int round = 1; round <= rounds; round++) {
            String rawPrefix = Fixtures.uniquePrefix("benchraw");
            String sinkPrefix = Fixtures.uniquePrefix("benchsink");
            double raw = raw(server, rawPrefix, schema, data);
            double sink = sink(sinkPrefix, schema, data);
            ratios.add(sink / raw);
            System.out.printf("round %d: raw pipelined HSET %,.0f rows/s; sink %,.0f rows/s; ratio %.2f%n", round, raw, sink, sink / raw);
            try (Jedis j = server.jedis()) {
                clean(j, rawPrefix);
                clean(j, sinkPrefix);
            }
        }
        ratios.sort(Double::compare);
        System.out.printf("median ratio sink / raw: %.2f (min %.2f, max %.2f)%n", ratios.get(ratios.size() / 2), ratios.get(0),
                ratios.get(ratios.size() - 1));
        System.exit(0);
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

    private static double sink(String prefix, TableSchema schema, List<Object[]> data) {
        try (RedisSink sink = Fixtures.sink(prefix)) {
            TableWriter w = sink.open(schema);
            long start = System.nanoTime();
            long written = 0;
            for (int from = 0; from < data.size(); from += 10_000) {
                List<ChangeEvent> batch = new ArrayList<>(10_000);
                for (Object[] r : data.subList(from, Math.min(data.size(), from + 10_000))) {
                    Object[] key = {r[0]};
                    batch.add(ChangeEvent.upsert("orders", key, Arrays.copyOf(r, r.length), (Long) r[0], Position.ofOwned(key)));
                }
                WriteResult res = w.write(Batch.of(schema, batch));
                written += res.upserted();
            }
            w.flush();
            w.close();
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
