package dev.dbsync.elastic;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.elasticsearch.client.Request;

/**
 * Sink rows/s against a raw {@code _bulk} of the same documents through the low-level REST client, in one run on
 * one server: both serialize the same rows to JSON and send bulk requests of 5,000 documents into an index with the
 * same mapping; the raw side skips everything the sink adds (ids from keys, versions, per-item result handling).
 * Run by hand (not by verify):
 *
 * <pre>
 * mvn -q -pl sync-elastic test-compile exec:java -Dexec.mainClass=dev.dbsync.elastic.ElasticSinkBenchmark \
 *     -Dexec.classpathScope=test -Dexec.args=200000
 * </pre>
 */
public final class ElasticSinkBenchmark {

    private static final int CHUNK = 5000;

    private ElasticSinkBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        ElasticServer server = ElasticServer.get();
        System.out.println("server: " + server.kind + "; " + rows + " rows per run, " + rounds + " rounds");
        String run = "bench_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        TableSchema base = schema("x");
        List<Object[]> data = new ArrayList<>(rows);
        Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
        for (long id = 1; id <= rows; id++) {
            Map<String, Object> attrs = new LinkedHashMap<>();
            attrs.put("color", "c" + id % 7);
            attrs.put("stock", (int) (id % 50));
            data.add(new Object[] {id, "product " + id, id % 10 == 0 ? "waterproof hiking boot, size " + id % 13 : "plain item number " + id,
                    new BigDecimal(id % 997 + ".99"), t0.plusMillis(id * 37), attrs, false});
        }
        List<double[]> results = new ArrayList<>();
        try (ElasticSink sink = ElasticTesting.sink(Map.of("refresh.on.flush", "true"))) {
            // round 0 warms the JVMs up and is not counted; the order alternates so neither side always goes first;
            // each index is deleted right after it was measured and the server given a pause, so background merges
            // of one run do not slow the next
            for (int round = 0; round <= rounds; round++) {
                double raw;
                double plain;
                if (round % 2 == 0) {
                    raw = settle(sink, run + "_raw" + round, raw(sink, base.withName(run + "_raw" + round), data));
                    plain = settle(sink, run + "_sink" + round, viaSink(sink, base.withName(run + "_sink" + round), data, false));
                } else {
                    plain = settle(sink, run + "_sink" + round, viaSink(sink, base.withName(run + "_sink" + round), data, false));
                    raw = settle(sink, run + "_raw" + round, raw(sink, base.withName(run + "_raw" + round), data));
                }
                double versioned = settle(sink, run + "_ver" + round, viaSink(sink, base.withName(run + "_ver" + round), data, true));
                if (round > 0) {
                    results.add(new double[] {raw, plain, versioned});
                }
                System.out.printf((round == 0 ? "warm-up, not counted: " : "round %d: ").replace("%d", String.valueOf(round)) + "raw _bulk %.0f rows/s | sink %.0f rows/s (%.2f of raw) | sink with external_gte versions %.0f rows/s (%.2f of raw)%n",
                        raw, plain, plain / raw, versioned, versioned / raw);
            }
        }
        double bestRaw = results.stream().mapToDouble(r -> r[0]).max().orElse(0);
        double bestSink = results.stream().mapToDouble(r -> r[1]).max().orElse(0);
        double bestVer = results.stream().mapToDouble(r -> r[2]).max().orElse(0);
        double[] ratios = results.stream().mapToDouble(r -> r[1] / r[0]).sorted().toArray();
        System.out.printf("median ratio sink/raw %.2f%n", ratios[ratios.length / 2]);
        for (double[] r : results) {
            System.out.printf("ratio sink/raw %.2f, versioned sink/raw %.2f%n", r[1] / r[0], r[2] / r[0]);
        }
        System.out.printf("best: raw %.0f rows/s, sink %.0f rows/s (ratio %.2f), versioned sink %.0f rows/s (ratio %.2f)%n",
                bestRaw, bestSink, bestSink / bestRaw, bestVer, bestVer / bestRaw);
        System.exit(0);
    }

    private static double settle(ElasticSink sink, String table, double rowsPerSecond) throws InterruptedException {
        sink.connection().call("delete", new Request("DELETE", "/" + Docs.indexName("", table)));
        Thread.sleep(3000);
        return rowsPerSecond;
    }

    private static TableSchema schema(String name) {
        return new TableSchema(name, List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("name", LogicalType.STRING),
                Column.of("description", LogicalType.STRING),
                Column.decimal("price", 12, 2),
                new Column("updated_at", LogicalType.TIMESTAMP_TZ, true, 3, 0, null, null),
                Column.of("attributes", LogicalType.JSON),
                Column.of("is_deleted", LogicalType.BOOLEAN)), List.of("id"));
    }

    private static double viaSink(ElasticSink sink, TableSchema s, List<Object[]> data, boolean versioned) {
        long start = System.nanoTime();
        try (TableWriter w = sink.open(s)) {
            List<ChangeEvent> batch = new ArrayList<>(CHUNK * 2);
            long version = 1_000;
            for (Object[] row : data) {
                Object[] key = {row[0]};
                batch.add(ChangeEvent.upsert(s.name(), key, row, versioned ? ++version : 0, Position.ofOwned(key)));
                if (batch.size() == CHUNK * 2) {
                    check(w.write(Batch.of(s, batch)));
                    batch.clear();
                }
            }
            if (!batch.isEmpty()) {
                check(w.write(Batch.of(s, batch)));
            }
            w.flush();
        }
        return data.size() / ((System.nanoTime() - start) / 1e9);
    }

    private static void check(WriteResult r) {
        if (!r.failed().isEmpty()) {
            throw new IllegalStateException("rows failed: " + r.failed().get(0).reason());
        }
    }

    /** The same documents as plain NDJSON bulk bodies through the low-level client, checking only the errors flag. */
    private static double raw(ElasticSink sink, TableSchema s, List<Object[]> data) throws IOException {
        sink.open(s).close(); // the same index and mapping, created before the clock starts as for the sink
        String index = Docs.indexName("", s.name());
        ObjectMapper json = new ObjectMapper();
        DateTimeFormatter iso = DateTimeFormatter.ISO_INSTANT;
        long start = System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream(4 << 20);
        int n = 0;
        for (Object[] row : data) {
            try (JsonGenerator g = json.getFactory().createGenerator(body, JsonEncoding.UTF8)) {
                g.writeStartObject();
                g.writeObjectFieldStart("index");
                g.writeStringField("_index", index);
                g.writeStringField("_id", row[0].toString());
                g.writeEndObject();
                g.writeEndObject();
            }
            body.write('\n');
            try (JsonGenerator g = json.getFactory().createGenerator(body, JsonEncoding.UTF8)) {
                g.writeStartObject();
                g.writeNumberField("id", (Long) row[0]);
                g.writeStringField("name", (String) row[1]);
                g.writeStringField("description", (String) row[2]);
                g.writeStringField("price", ((BigDecimal) row[3]).toPlainString());
                g.writeStringField("updated_at", iso.format((Instant) row[4]));
                g.writeFieldName("attributes");
                json.writeValue(g, row[5]);
                g.writeBooleanField("is_deleted", (Boolean) row[6]);
                g.writeEndObject();
            }
            body.write('\n');
            if (++n % CHUNK == 0) {
                send(sink, body);
            }
        }
        if (body.size() > 0) {
            send(sink, body);
        }
        sink.connection().call("refresh", new Request("POST", "/" + index + "/_refresh"));
        return data.size() / ((System.nanoTime() - start) / 1e9);
    }

    private static void send(ElasticSink sink, ByteArrayOutputStream body) throws IOException {
        Request r = new Request("POST", "/_bulk");
        r.setEntity(new ByteArrayEntity(body.toByteArray(), ContentType.APPLICATION_JSON));
        JsonNode res = new ObjectMapper().readTree(sink.connection().rest.performRequest(r).getEntity().getContent());
        if (res.path("errors").asBoolean()) {
            throw new IllegalStateException("raw bulk reported errors");
        }
        body.reset();
    }
}
