package dev.dbsync.kafka.connect;

import dev.dbsync.kafka.KafkaTestCluster;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The price of the distributed path: PostgreSQL → PostgreSQL of the same table through the embedded engine
 * (FULL) and through Kafka Connect (dbsync source connector, full strategy → Kafka → dbsync sink connector) with
 * one worker, then two, in one run. Connect's time runs from creating the connectors until the target holds every
 * row. Run by hand: {@code java -cp … dev.dbsync.kafka.connect.ConnectBenchmark [rows]}.
 */
public final class ConnectBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConnectBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        KafkaTestCluster kafka = KafkaTestCluster.get();
        PostgresServer pg = PostgresServer.get();
        String src = pg.createDatabase("bench_src");
        exec(pg, src, "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2),"
                + " placed timestamptz NOT NULL, note text)",
                "INSERT INTO orders SELECT i, 'customer ' || (i % 1000), i * 0.25, TIMESTAMPTZ '2024-01-01 00:00:00+00'"
                        + " + i * INTERVAL '1 second', md5(i::text) FROM generate_series(1, " + rows + ") i",
                "VACUUM ANALYZE orders");
        System.out.printf("%d rows PostgreSQL → PostgreSQL; one in-process broker, embedded PostgreSQL 17, one 2-core machine%n", rows);
        List<String> lines = new ArrayList<>();
        double embedded = embedded(pg, src, rows);
        lines.add(String.format("embedded engine (FULL): %,.0f rows/s", embedded));
        for (int workers : new int[] {1, 2}) {
            double c = connect(kafka, pg, src, rows, workers);
            lines.add(String.format("Kafka Connect, %d worker%s: %,.0f rows/s = %.2f of the embedded engine", workers,
                    workers == 1 ? "" : "s", c, c / embedded));
        }
        double again = embedded(pg, src, rows);
        lines.add(String.format("embedded engine again (warm): %,.0f rows/s", again));
        lines.forEach(System.out::println);
        System.exit(0);
    }

    private static Map<String, Object> pgConfig(PostgresServer pg, String url) {
        Map<String, Object> m = new HashMap<>();
        m.put("url", url);
        if (pg.username() != null) {
            m.put("user", pg.username());
        }
        if (pg.password() != null) {
            m.put("password", pg.password());
        }
        return m;
    }

    private static double embedded(PostgresServer pg, String src, int rows) {
        String dst = pg.createDatabase("bench_embedded");
        Connectors c = Connectors.load();
        long t0 = System.nanoTime();
        SyncReport r;
        try (SyncEngine e = SyncEngine.builder().pipeline("bench").source(c.createSource("postgres", pgConfig(pg, src)))
                .sink(c.createSink("postgres", pgConfig(pg, dst))).checkpointStore(CheckpointStores.memory())
                .table(TableSync.full(TableSpec.of("public.orders"))).batchRows(2000).build()) {
            r = e.runOnce();
        }
        if (!r.succeeded() || r.upserted() != rows) {
            throw new IllegalStateException(r.toText());
        }
        return rows / ((System.nanoTime() - t0) / 1e9);
    }

    private static double connect(KafkaTestCluster kafka, PostgresServer pg, String src, int rows, int workers) throws Exception {
        String dst = pg.createDatabase("bench_connect" + workers);
        String prefix = "bench" + workers + "x" + System.nanoTime();
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(prefix + ".public.orders", Optional.of(4), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
        String group = "bench-" + prefix;
        List<ConnectWorker> ws = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            ws.add(ConnectWorker.start(kafka.bootstrap(), group, "w" + i));
        }
        try {
            ObjectNode sink = JSON.createObjectNode();
            sink.put("connector.class", DbsyncSinkConnector.class.getName());
            sink.put("tasks.max", Integer.toString(2 * workers));
            sink.put("topics", prefix + ".public.orders");
            sink.put("dbsync.connector", "postgres");
            pgConfig(pg, dst).forEach((k, v) -> sink.put("postgres." + k, v.toString()));
            sink.put("consumer.override.max.poll.records", "2000");
            ObjectNode source = JSON.createObjectNode();
            source.put("connector.class", DbsyncSourceConnector.class.getName());
            source.put("dbsync.connector", "postgres");
            pgConfig(pg, src).forEach((k, v) -> source.put("postgres." + k, v.toString()));
            source.put("dbsync.tables", "public.orders");
            source.put("dbsync.strategy", "full");
            source.put("dbsync.topic.prefix", prefix);
            source.put("dbsync.batch.rows", "2000");
            long t0 = System.nanoTime();
            ws.get(0).putConnector("sink-" + prefix, sink.toString());
            ws.get(0).putConnector("source-" + prefix, source.toString());
            while (count(pg, dst) < rows) {
                Thread.sleep(200);
                if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(10)) {
                    throw new IllegalStateException("Connect did not deliver " + rows + " rows in 10 minutes");
                }
            }
            return rows / ((System.nanoTime() - t0) / 1e9);
        } finally {
            for (ConnectWorker w : ws) {
                w.close();
            }
        }
    }

    private static long count(PostgresServer pg, String url) {
        try (Connection c = pg.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            return 0;
        }
    }

    private static void exec(PostgresServer pg, String url, String... sql) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }
}
