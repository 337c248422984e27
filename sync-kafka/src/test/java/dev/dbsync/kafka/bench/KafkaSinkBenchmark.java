package dev.dbsync.kafka.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * PostgreSQL → Kafka in one run, same table, same broker, alternating rounds: a hand-written pipeline (JDBC
 * read, a flat JSON key and value per row with Jackson, an idempotent producer with acks=all, flush) against
 * dbsync's FULL snapshot into the Kafka sink (Debezium envelope with Connect schemas, with and without
 * transactions, and without schemas). Prints rows/s and the ratio to the raw pipeline. Run by hand:
 * {@code java -cp … dev.dbsync.kafka.bench.KafkaSinkBenchmark [rows] [rounds]}.
 */
public final class KafkaSinkBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();

    private KafkaSinkBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build();
        try (KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("transaction.state.log.replication.factor", "1").setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("offsets.topic.replication.factor", "1").build()) {
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
            String bootstrap = kit.bootstrapServers();
            PostgresServer pg = PostgresServer.get();
            String url = pg.createDatabase("kafka_bench");
            try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2),"
                        + " placed timestamptz NOT NULL, note text)");
                s.execute("INSERT INTO orders SELECT i, 'customer ' || (i % 1000), i * 0.25, TIMESTAMPTZ '2024-01-01 00:00:00+00'"
                        + " + i * INTERVAL '1 second', md5(i::text) FROM generate_series(1, " + rows + ") i");
                s.execute("VACUUM ANALYZE orders");
            }
            System.out.printf("%d rows, %d rounds; one broker in this JVM, embedded PostgreSQL; figures are PostgreSQL read +"
                    + " Kafka write together%n", rows, rounds);
            double[] raw = new double[rounds];
            double[] tx = new double[rounds];
            double[] idem = new double[rounds];
            double[] bare = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                raw[r] = rawRound(pg, url, bootstrap, rows, r);
                tx[r] = dbsyncRound(pg, url, bootstrap, rows, r, true, true);
                idem[r] = dbsyncRound(pg, url, bootstrap, rows, r, false, true);
                bare[r] = dbsyncRound(pg, url, bootstrap, rows, r, false, false);
                System.out.printf("round %d: raw producer %,.0f rows/s | dbsync sink, transactions %,.0f rows/s (%.2f) | dbsync sink,"
                        + " idempotent only %,.0f rows/s (%.2f) | dbsync sink, idempotent, no schemas %,.0f rows/s (%.2f)%n", r + 1, raw[r],
                        tx[r], tx[r] / raw[r], idem[r], idem[r] / raw[r], bare[r], bare[r] / raw[r]);
            }
            double bestRaw = max(raw);
            System.out.printf("best: raw %,.0f rows/s; dbsync transactions %,.0f rows/s = %.2f of raw; idempotent %,.0f rows/s = %.2f of raw;"
                    + " no schemas %,.0f rows/s = %.2f of raw%n", bestRaw, max(tx), max(tx) / bestRaw, max(idem), max(idem) / bestRaw,
                    max(bare), max(bare) / bestRaw);
        }
        System.exit(0);
    }

    private static double max(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, v);
        }
        return m;
    }

    private static double rawRound(PostgresServer pg, String url, String bootstrap, int rows, int round) throws Exception {
        String topic = "raw" + round;
        try (Admin a = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            a.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("enable.idempotence", "true");
        p.put("acks", "all");
        // the producer settings the sink uses, so the ratio shows the sink's own cost, not tuning
        p.put("compression.type", "lz4");
        p.put("linger.ms", "5");
        p.put("batch.size", "262144");
        long t0 = System.nanoTime();
        long n = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p); Connection c = pg.connect(url)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.setFetchSize(5000);
                try (ResultSet rs = s.executeQuery("SELECT id, customer, amount, placed, note FROM orders ORDER BY id")) {
                    while (rs.next()) {
                        ObjectNode key = JSON.createObjectNode().put("id", rs.getLong(1));
                        ObjectNode value = JSON.createObjectNode().put("id", rs.getLong(1)).put("customer", rs.getString(2))
                                .put("amount", rs.getBigDecimal(3)).put("placed", rs.getObject(4, java.time.OffsetDateTime.class).toInstant().toString())
                                .put("note", rs.getString(5));
                        producer.send(new ProducerRecord<>(topic, JSON.writeValueAsBytes(key), JSON.writeValueAsBytes(value)));
                        n++;
                    }
                }
            }
            producer.flush();
        }
        if (n != rows) {
            throw new IllegalStateException("raw round sent " + n + " rows, expected " + rows);
        }
        return rows / ((System.nanoTime() - t0) / 1e9);
    }

    private static double dbsyncRound(PostgresServer pg, String url, String bootstrap, int rows, int round, boolean transactions,
                                      boolean schemas) {
        String prefix = (transactions ? "tx" : schemas ? "idem" : "bare") + round;
        Map<String, Object> sink = Map.of("bootstrap.servers", bootstrap, "topic.prefix", prefix, "transactions", Boolean.toString(transactions),
                "checkpoint.topic", prefix + "_checkpoints", "envelope.schemas", Boolean.toString(schemas));
        Map<String, Object> source = new HashMap<>();
        source.put("url", url);
        if (pg.username() != null) {
            source.put("user", pg.username());
        }
        if (pg.password() != null) {
            source.put("password", pg.password());
        }
        Connectors connectors = Connectors.load();
        long t0 = System.nanoTime();
        SyncEngine.Builder b = SyncEngine.builder().pipeline("bench_" + prefix).source(connectors.createSource("postgres", source))
                .sink(connectors.createSink("kafka", sink)).table(TableSync.full(TableSpec.of("public.orders")))
                .batchRows(5000).flushRows(50_000);
        if (!transactions) {
            b.checkpointStore(CheckpointStores.memory());
        }
        SyncReport r;
        try (SyncEngine engine = b.build()) {
            r = engine.runOnce();
        }
        double rate = rows / ((System.nanoTime() - t0) / 1e9);
        if (!r.succeeded() || r.upserted() != rows) {
            throw new IllegalStateException("dbsync round failed: " + r.toText());
        }
        return rate;
    }
}
