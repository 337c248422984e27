package dev.dbsync.kafka.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.kafka.KafkaTestCluster;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/**
 * The price of the distributed path, measured side by side in one run on the same generated source table
 * (PostgreSQL {@code orders}, 5 columns): into PostgreSQL and into ClickHouse, each through the embedded engine
 * (FULL, the engine's default batches) and through Kafka Connect (dbsync source connector, {@code full} strategy →
 * Kafka → dbsync sink connector) with one worker, then two. To tell where the distributed path spends its time, the
 * source connector alone into Kafka and each sink connector alone from that filled topic are timed as well, and the
 * dbsync source task polled in this thread without any worker or Kafka (with and without the JSON conversion).
 *
 * <p>A Connect time runs from creating the connectors (on already started workers) until the target holds every
 * row, group join and task start included (the moment the first row arrived is printed beside it); an embedded time
 * is the whole {@code runOnce}, once first in the JVM (cold) and as the median of three runs at the end (warm). Every target is then checked against the source: its row
 * count, column sums (ids, amounts in cents, epoch seconds, text lengths, non-null notes) and an equal sample of
 * every hundredth row, so a run that lost, duplicated or changed rows fails instead of printing a figure.
 *
 * <p>Run by hand (the argument is the row count, default 200,000: about two and a half minutes on 2 cores):
 * <pre>
 * ./mvnw -o -q -pl sync-kafka-connect test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *   -Dexec.args="-Xmx1g -cp %classpath dev.dbsync.kafka.connect.ConnectBenchmark 200000"
 * </pre>
 */
public final class ConnectBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 4;
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    private final KafkaTestCluster kafka;
    private final PostgresServer pg;
    private final String src;
    private final int rows;
    private final List<Long> sums;
    private final List<String> sample;
    private final List<Result> results = new ArrayList<>();

    private ConnectBenchmark(KafkaTestCluster kafka, PostgresServer pg, String src, int rows) throws Exception {
        this.kafka = kafka;
        this.pg = pg;
        this.src = src;
        this.rows = rows;
        PostgresTarget source = new PostgresTarget(pg);
        this.sums = source.sums(src);
        this.sample = source.sample(src, sampleStep(rows));
        if (sums.get(0) != rows) {
            throw new IllegalStateException("source holds " + sums.get(0) + " rows, expected " + rows);
        }
    }

    public static void main(String[] args) throws Exception {
        // Connect logs every task's start at INFO: keep the output to the figures (and the time to the work)
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
        int rows = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 200_000;
        String loadBefore = loadAverage();
        KafkaTestCluster kafka = KafkaTestCluster.get();
        PostgresServer pg = PostgresServer.get();
        ClickHouseServer ch = ClickHouseServer.get();
        String src = pg.createDatabase("bench_src");
        exec(pg, src, "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2),"
                        + " placed timestamptz NOT NULL, note text)",
                "INSERT INTO orders SELECT i, 'customer ' || (i % 1000), i * 0.25, TIMESTAMPTZ '2024-01-01 00:00:00+00'"
                        + " + i * INTERVAL '1 second', CASE WHEN i % 10 = 0 THEN NULL ELSE md5(i::text) END"
                        + " FROM generate_series(1, " + rows + ") i",
                "VACUUM ANALYZE orders");
        System.out.printf(Locale.ROOT, "%,d rows (5 columns) from PostgreSQL; %d cores, load average %s at the start%n", rows,
                Runtime.getRuntime().availableProcessors(), loadBefore);
        System.out.printf("PostgreSQL: %s; ClickHouse: %s; Kafka: %s; Java %s%n", pg.kind(), ch.kind(), kafka.kind(),
                System.getProperty("java.version"));

        ConnectBenchmark b = new ConnectBenchmark(kafka, pg, src, rows);
        b.warmBroker();
        Target pgTarget = new PostgresTarget(pg);
        Target chTarget = new ClickHouseTarget(ch);
        // interleaved, so that a change of the shared machine's load touches both targets alike
        b.embedded(pgTarget, "cold", 1);
        b.embedded(chTarget, "cold", 1);
        b.sourceTaskInProcess(false);
        b.sourceTaskInProcess(true);
        // without exactly-once source support, then with it as everywhere else here (the first Connect run of the
        // JVM also pays the workers' class loading: better charged to the variant not compared with anything)
        kafka.deleteTopics(Set.of(b.sourceAlone(Map.of("exactly.once.source.support", "disabled"), "at-least-once")));
        String topic = b.sourceAlone(Map.of(), "exactly-once");
        b.sinkAlone(pgTarget, topic);
        b.sinkAlone(chTarget, topic);
        kafka.deleteTopics(Set.of(topic));
        for (int workers : new int[] {1, 2}) {
            b.connect(pgTarget, workers);
            b.connect(chTarget, workers);
        }
        b.embedded(pgTarget, "warm", 3);
        b.embedded(chTarget, "warm", 3);
        b.print(loadBefore, loadAverage());
        System.exit(0);
    }

    // ------------------------------------------------------------------ the runs

    /**
     * The broker creates its transaction-state topic (50 partitions) for the first transactional producer and its
     * group-offsets topic for the first group: a one-time cost of a fresh broker that would otherwise be charged to
     * whichever run comes first (it delayed the first exactly-once source run by about 7 s).
     */
    private void warmBroker() throws Exception {
        String topic = createTopic("benchwarm" + System.nanoTime());
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", kafka.bootstrap());
        p.put("transactional.id", "bench-warm-" + System.nanoTime());
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, new byte[1]));
            producer.commitTransaction();
        }
        Map<String, Object> c = consumerProps();
        c.put("group.id", "bench-warm");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(0)), Duration.ofSeconds(60));
        }
        kafka.deleteTopics(Set.of(topic));
    }

    /** The embedded engine {@code repeats} times into fresh tables; the median run is the figure. */
    private void embedded(Target target, String phase, int repeats) throws Exception {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            String handle = target.create("bench_embedded_" + phase);
            Connectors c = Connectors.load();
            long t0 = System.nanoTime();
            SyncReport r;
            try (SyncEngine e = SyncEngine.builder().pipeline("bench").source(c.createSource("postgres", pgConfig(pg, src)))
                    .sink(c.createSink(target.connector(), target.sinkConfig(handle))).checkpointStore(CheckpointStores.memory())
                    .table(TableSync.full(TableSpec.of("public.orders"))).build()) {
                r = e.runOnce();
            }
            long t1 = System.nanoTime();
            if (!r.succeeded() || r.upserted() != rows) {
                throw new IllegalStateException(target.name() + ", embedded engine: " + r.toText());
            }
            awaitTarget(target, handle, t0, null, "embedded engine");
            target.drop(handle);
            times.add(t1 - t0);
            if (repeats > 1) {
                System.out.printf(Locale.ROOT, "  %-10s  embedded engine, %s run %d: %.2f s%n", target.name(), phase, i + 1, (t1 - t0) / 1e9);
            }
        }
        times.sort(null);
        record(target.name(), "embedded engine, FULL (" + phase + (repeats > 1 ? ", median of " + repeats : "") + ")", 0, -1,
                times.get(times.size() / 2));
    }

    /**
     * The dbsync source task driven in this thread as Connect would (start, then poll until every row came), with no
     * worker and no Kafka: what the adapter itself costs; with {@code convert}, each record's key and value also go
     * through the workers' {@code JsonConverter} (schemas enabled), and their average size is printed.
     */
    private void sourceTaskInProcess(boolean convert) throws Exception {
        Map<String, String> props = new HashMap<>();
        sourceConfig("inprocess").fields().forEachRemaining(f -> props.put(f.getKey(), f.getValue().asText()));
        props.put("name", "inprocess");
        DbsyncSourceConnector connector = new DbsyncSourceConnector();
        connector.start(props);
        Map<String, String> taskProps = connector.taskConfigs(1).get(0);
        connector.stop();
        JsonConverter keys = new JsonConverter();
        keys.configure(Map.of("schemas.enable", "true"), true);
        JsonConverter values = new JsonConverter();
        values.configure(Map.of("schemas.enable", "true"), false);
        DbsyncSourceTask task = new DbsyncSourceTask();
        task.initialize(new SourceTaskContext() {
            @Override
            public Map<String, String> configs() {
                return taskProps;
            }

            @Override
            public OffsetStorageReader offsetStorageReader() {
                return new OffsetStorageReader() {
                    @Override
                    public <T> Map<String, Object> offset(Map<String, T> partition) {
                        return null;
                    }

                    @Override
                    public <T> Map<Map<String, T>, Map<String, Object>> offsets(java.util.Collection<Map<String, T>> partitions) {
                        return Map.of();
                    }
                };
            }

            @Override
            public PluginMetrics pluginMetrics() {
                return null;
            }
        });
        long t0 = System.nanoTime();
        long n = 0;
        long bytes = 0;
        task.start(taskProps);
        try {
            while (n < rows) {
                List<SourceRecord> batch = task.poll();
                if (batch == null) {
                    throw new IllegalStateException("source task in process: the snapshot ended after " + n + " of " + rows + " rows");
                }
                for (SourceRecord r : batch) {
                    n++;
                    if (convert) {
                        bytes += keys.fromConnectData(r.topic(), r.keySchema(), r.key()).length
                                + values.fromConnectData(r.topic(), r.valueSchema(), r.value()).length;
                    }
                }
            }
        } finally {
            task.stop();
        }
        long t1 = System.nanoTime();
        if (n != rows) {
            throw new IllegalStateException("source task in process: " + n + " records for " + rows + " rows");
        }
        record("source", convert ? String.format(Locale.ROOT, "dbsync source task in process + JsonConverter (%,d B a record)", bytes / n)
                : "dbsync source task in process, no Kafka", t0, -1, t1);
    }

    /**
     * The source connector alone (1 worker, its settings changed by {@code overrides}) into a topic of its own, read
     * back with {@code read_committed}; returns the topic.
     */
    private String sourceAlone(Map<String, String> overrides, String label) throws Exception {
        String prefix = "benchsrc" + System.nanoTime();
        String topic = createTopic(prefix);
        try (Workers ws = new Workers(1, prefix, overrides);
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                parts.add(new TopicPartition(topic, p));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            consumer.poll(Duration.ZERO);
            long t0 = System.nanoTime();
            ws.first().putConnector("source-" + prefix, sourceConfig(prefix).toString());
            long records = 0;
            long t1 = 0;
            long first = 0;
            while (records < rows) {
                for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
                    if (rec.value() != null) {
                        records++;
                    }
                }
                t1 = System.nanoTime();
                if (first == 0 && records > 0) {
                    first = t1;
                }
                checkDeadline(t0, "source connector alone: " + records + " of " + rows + " records in Kafka");
                ws.checkNotFailed("source-" + prefix);
            }
            // a moment more: duplicates would show up now
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (System.nanoTime() < end) {
                records += consumer.poll(Duration.ofMillis(200)).count();
            }
            if (records != rows) {
                throw new IllegalStateException("source connector alone: " + records + " records in Kafka for " + rows + " rows");
            }
            record("source", "Connect source connector alone into Kafka, " + label + ", 1 worker (1 task)", t0, first, t1);
        }
        return topic;
    }

    /** A sink connector alone (1 worker, 2 tasks) from the topic the source connector filled. */
    private void sinkAlone(Target target, String topic) throws Exception {
        String prefix = "benchsink" + System.nanoTime();
        String handle = target.create("bench_sink_alone");
        try (Workers ws = new Workers(1, prefix, Map.of())) {
            long t0 = System.nanoTime();
            ws.first().putConnector("sink-" + prefix, sinkConfig(target, handle, topic, 1).toString());
            long[] t = awaitTarget(target, handle, t0, () -> ws.checkNotFailed("sink-" + prefix), "sink connector alone");
            record(target.name(), "Connect sink connector alone from Kafka, 1 worker (2 tasks)", t0, t[0], t[1]);
        }
        target.drop(handle);
    }

    /** The whole path: source connector → Kafka → sink connector on {@code workers} workers. */
    private void connect(Target target, int workers) throws Exception {
        String prefix = "bench" + workers + "x" + System.nanoTime();
        String topic = createTopic(prefix);
        String handle = target.create("bench_connect" + workers);
        try (Workers ws = new Workers(workers, prefix, Map.of())) {
            long t0 = System.nanoTime();
            ws.first().putConnector("sink-" + prefix, sinkConfig(target, handle, topic, workers).toString());
            ws.first().putConnector("source-" + prefix, sourceConfig(prefix).toString());
            long[] t = awaitTarget(target, handle, t0, () -> {
                ws.checkNotFailed("source-" + prefix);
                ws.checkNotFailed("sink-" + prefix);
            }, "Connect, " + workers + " worker(s)");
            record(target.name(), String.format("Connect, %d worker%s (1 source task, %d sink tasks)", workers,
                    workers == 1 ? "" : "s", 2 * workers), t0, t[0], t[1]);
        }
        target.drop(handle);
        kafka.deleteTopics(Set.of(topic));
    }

    // ------------------------------------------------------------------ checks

    interface Probe {
        void run() throws Exception;
    }

    /**
     * Waits until the target holds {@link #rows} rows whose sums equal the source's, then compares the sample.
     * Returns the moments the first row was seen and the sums first matched; throws (no figure) when they never do.
     */
    private long[] awaitTarget(Target target, String handle, long t0, Probe probe, String what) throws Exception {
        long lastProbe = 0;
        long first = 0;
        while (true) {
            long n = target.count(handle);
            if (first == 0 && n > 0) {
                first = System.nanoTime();
            }
            if (n >= rows) {
                long t = System.nanoTime();
                List<Long> got = target.sums(handle);
                if (got.equals(sums)) {
                    List<String> s = target.sample(handle, sampleStep(rows));
                    if (!s.equals(sample)) {
                        throw new IllegalStateException(target.name() + ", " + what + ": sampled rows differ from the source:\n  source "
                                + sample.subList(0, Math.min(3, sample.size())) + "\n  target " + s.subList(0, Math.min(3, s.size())));
                    }
                    return new long[] {first, t};
                }
                if (System.nanoTime() - t0 > TIMEOUT.toNanos()) {
                    throw new IllegalStateException(target.name() + ", " + what + ": target sums " + got + " differ from the source's "
                            + sums + " (count, sum id, sum cents, sum epoch, sum lengths, notes)");
                }
            }
            checkDeadline(t0, target.name() + ", " + what + ": " + n + " of " + rows + " rows in the target");
            if (probe != null && System.nanoTime() - lastProbe > TimeUnit.SECONDS.toNanos(1)) {
                probe.run();
                lastProbe = System.nanoTime();
            }
            Thread.sleep(100);
        }
    }

    private static void checkDeadline(long t0, String state) {
        if (System.nanoTime() - t0 > TIMEOUT.toNanos()) {
            throw new IllegalStateException("timed out after " + TIMEOUT.toMinutes() + " min: " + state);
        }
    }

    private static int sampleStep(int rows) {
        return Math.max(1, rows / 100);
    }

    // ------------------------------------------------------------------ Connect

    /** Workers of one fresh group with the tests' settings plus {@code overrides}; closing stops them. */
    private final class Workers implements AutoCloseable {
        private final List<ConnectWorker> list = new ArrayList<>();
        private final List<Connect<?>> running = new ArrayList<>();

        Workers(int n, String prefix, Map<String, String> overrides) throws Exception {
            for (int i = 0; i < n; i++) {
                int port = ConnectWorker.freePort();
                Map<String, String> props = ConnectWorker.props(kafka.bootstrap(), "group-" + prefix, port);
                props.putAll(overrides);
                running.add(new ConnectDistributed().startConnect(props));
                list.add(ConnectWorker.remote(port, "w" + i));
            }
        }

        ConnectWorker first() {
            return list.get(0);
        }

        /** Fails when the connector or one of its tasks FAILED (with Connect's trace), so a run does not wait it out. */
        void checkNotFailed(String connector) throws Exception {
            JsonNode s = JSON.readTree(first().request("GET", "/connectors/" + connector + "/status", null).body());
            if ("FAILED".equals(s.path("connector").path("state").asText())) {
                throw new IllegalStateException(connector + " failed: " + s.path("connector").path("trace").asText());
            }
            for (JsonNode t : s.path("tasks")) {
                if ("FAILED".equals(t.path("state").asText())) {
                    throw new IllegalStateException(connector + " task " + t.path("id").asText() + " failed: " + t.path("trace").asText());
                }
            }
        }

        @Override
        public void close() {
            for (Connect<?> c : running) {
                c.stop();
                c.awaitStop();
            }
        }
    }

    private String createTopic(String prefix) throws Exception {
        String topic = prefix + ".public.orders";
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(PARTITIONS), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
        return topic;
    }

    private ObjectNode sourceConfig(String prefix) {
        ObjectNode source = JSON.createObjectNode();
        source.put("connector.class", DbsyncSourceConnector.class.getName());
        source.put("dbsync.connector", "postgres");
        pgConfig(pg, src).forEach((k, v) -> source.put("postgres." + k, v.toString()));
        source.put("dbsync.tables", "public.orders");
        source.put("dbsync.strategy", "full");
        source.put("dbsync.topic.prefix", prefix);
        source.put("dbsync.batch.rows", "2000");
        return source;
    }

    private static ObjectNode sinkConfig(Target target, String handle, String topic, int workers) {
        ObjectNode sink = JSON.createObjectNode();
        sink.put("connector.class", DbsyncSinkConnector.class.getName());
        sink.put("tasks.max", Integer.toString(2 * workers));
        sink.put("topics", topic);
        sink.put("dbsync.connector", target.connector());
        target.sinkConfig(handle).forEach((k, v) -> sink.put(target.connector() + "." + k, v.toString()));
        sink.put("consumer.override.max.poll.records", "2000");
        return sink;
    }

    private Map<String, Object> consumerProps() {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", kafka.bootstrap());
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", "false");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return p;
    }

    // ------------------------------------------------------------------ output

    /** One figure; {@code firstRow} is the seconds until the first row arrived (start-up), NaN where not measured. */
    record Result(String target, String path, double seconds, double firstRow, double rowsPerSecond) {
    }

    /** Records a run from {@code t0} to {@code t1}; {@code first} is when the first row arrived, or -1. */
    private void record(String target, String path, long t0, long first, long t1) {
        double secs = (t1 - t0) / 1e9;
        Result r = new Result(target, path, secs, first < 0 ? Double.NaN : (first - t0) / 1e9, rows / secs);
        results.add(r);
        System.out.printf(Locale.ROOT, "  %-10s  %-62s %6.1f s  %,9.0f rows/s%s%n", target, path, secs, r.rowsPerSecond(),
                Double.isNaN(r.firstRow()) ? "" : String.format(Locale.ROOT, "  (first row after %.1f s)", r.firstRow()));
    }

    private void print(String loadBefore, String loadAfter) {
        System.out.printf(Locale.ROOT, "%n%,d rows; %d cores; load average %s at the start, %s at the end; every target checked"
                + " against the source (count, column sums, every %,dth row)%n%n", rows, Runtime.getRuntime().availableProcessors(),
                loadBefore, loadAfter, sampleStep(rows));
        System.out.println("| target | path | s | first row after s | rows/s | ÷ embedded cold | ÷ embedded warm |");
        System.out.println("|---|---|---|---|---|---|---|");
        Map<String, double[]> embedded = new LinkedHashMap<>();
        for (Result r : results) {
            if (r.path().startsWith("embedded")) {
                embedded.computeIfAbsent(r.target(), k -> new double[2])[r.path().contains("cold") ? 0 : 1] = r.rowsPerSecond();
            }
        }
        for (String target : List.of("PostgreSQL", "ClickHouse", "source")) {
            for (Result r : results) {
                if (!r.target().equals(target)) {
                    continue;
                }
                double[] e = embedded.get(target);
                String cold = e == null || e[0] == 0 ? "" : String.format(Locale.ROOT, "%.2f", r.rowsPerSecond() / e[0]);
                String warm = e == null || e[1] == 0 ? "" : String.format(Locale.ROOT, "%.2f", r.rowsPerSecond() / e[1]);
                String first = Double.isNaN(r.firstRow()) ? "" : String.format(Locale.ROOT, "%.1f", r.firstRow());
                System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %s | %,.0f | %s | %s |%n", target, r.path(), r.seconds(), first,
                        r.rowsPerSecond(), cold, warm);
            }
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            double l = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", l);
        }
    }

    // ------------------------------------------------------------------ targets

    /** One kind of target: where a run's table lives, how a sink reaches it, and how it is checked. */
    interface Target {
        String name();

        /** The dbsync connector name, e.g. {@code postgres}. */
        String connector();

        /** Creates an empty place for one run's {@code orders} table and returns its handle. */
        String create(String label) throws Exception;

        Map<String, Object> sinkConfig(String handle);

        /** A cheap count while rows arrive; -1 while the table does not exist yet. */
        long count(String handle);

        /** count, sum(id), sum(amount in cents), sum(epoch seconds of placed), sum of text lengths, non-null notes. */
        List<Long> sums(String handle) throws Exception;

        /** Every {@code step}th row (by id) as id|customer|cents|epoch µs|note. */
        List<String> sample(String handle, int step) throws Exception;

        void drop(String handle) throws Exception;
    }

    private static final class PostgresTarget implements Target {
        private final PostgresServer pg;

        PostgresTarget(PostgresServer pg) {
            this.pg = pg;
        }

        @Override
        public String name() {
            return "PostgreSQL";
        }

        @Override
        public String connector() {
            return "postgres";
        }

        @Override
        public String create(String label) {
            return pg.createDatabase(label);
        }

        @Override
        public Map<String, Object> sinkConfig(String handle) {
            return pgConfig(pg, handle);
        }

        @Override
        public long count(String url) {
            try (Connection c = pg.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM orders")) {
                rs.next();
                return rs.getLong(1);
            } catch (Exception e) {
                return -1;
            }
        }

        @Override
        public List<Long> sums(String url) throws Exception {
            try (Connection c = pg.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT count(*), coalesce(sum(id), 0), coalesce(sum((amount * 100)::bigint), 0),"
                            + " coalesce(sum(extract(epoch FROM placed)::bigint), 0),"
                            + " coalesce(sum(length(customer)), 0) + coalesce(sum(length(note)), 0), count(note) FROM orders")) {
                rs.next();
                List<Long> out = new ArrayList<>();
                for (int i = 1; i <= 6; i++) {
                    out.add(rs.getLong(i));
                }
                return out;
            }
        }

        @Override
        public List<String> sample(String url, int step) throws Exception {
            List<String> out = new ArrayList<>();
            try (Connection c = pg.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT id || '|' || customer || '|' || coalesce((amount * 100)::bigint::text, '-') || '|'"
                            + " || (extract(epoch FROM placed) * 1000000)::bigint || '|' || coalesce(note, '-')"
                            + " FROM orders WHERE id % " + step + " = 0 ORDER BY id")) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        }

        @Override
        public void drop(String url) throws Exception {
            String path = url.replaceAll("\\?.*", "");
            String db = path.substring(path.lastIndexOf('/') + 1);
            try (Connection c = pg.connect(); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS \"" + db + "\" WITH (FORCE)");
            }
        }
    }

    /** ClickHouse: one database per run; the sinks keep every version, so the checks read {@code FINAL} live rows. */
    private static final class ClickHouseTarget implements Target {
        private final ClickHouseServer ch;

        ClickHouseTarget(ClickHouseServer ch) {
            this.ch = ch;
        }

        @Override
        public String name() {
            return "ClickHouse";
        }

        @Override
        public String connector() {
            return "clickhouse";
        }

        @Override
        public String create(String label) {
            String db = label + "_" + Long.toString(System.nanoTime() & 0xffffff, 36);
            ch.query("CREATE DATABASE IF NOT EXISTS " + db);
            return db;
        }

        @Override
        public Map<String, Object> sinkConfig(String db) {
            Map<String, Object> m = new HashMap<>();
            m.put("url", ch.httpUrl());
            m.put("database", db);
            m.put("user", ch.username());
            if (!ch.password().isEmpty()) {
                m.put("password", ch.password());
            }
            return m;
        }

        @Override
        public long count(String db) {
            try {
                return Long.parseLong(ch.query("SELECT count() FROM " + db + ".orders").trim());
            } catch (RuntimeException e) {
                return -1;
            }
        }

        @Override
        public List<Long> sums(String db) {
            String[] f = ch.query("SELECT count(), sum(id), ifNull(sum(toInt64(amount * 100)), 0), sum(toUnixTimestamp(placed)),"
                    + " sum(lengthUTF8(customer)) + ifNull(sum(lengthUTF8(note)), 0), count(note) FROM " + db + ".orders FINAL"
                    + " WHERE _is_deleted = 0").trim().split("\t");
            List<Long> out = new ArrayList<>();
            for (String v : f) {
                out.add(Long.parseLong(v));
            }
            return out;
        }

        @Override
        public List<String> sample(String db, int step) {
            List<String> out = new ArrayList<>();
            for (String l : ch.query("SELECT concat(toString(id), '|', customer, '|', ifNull(toString(toInt64(amount * 100)), '-'), '|',"
                    + " toString(toUnixTimestamp64Micro(placed)), '|', ifNull(note, '-')) FROM " + db + ".orders FINAL"
                    + " WHERE _is_deleted = 0 AND id % " + step + " = 0 ORDER BY id").split("\n")) {
                if (!l.isEmpty()) {
                    out.add(l);
                }
            }
            return out;
        }

        @Override
        public void drop(String db) {
            ch.query("DROP DATABASE IF EXISTS " + db);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Map<String, Object> pgConfig(PostgresServer pg, String url) {
        return pg.settings(url);
    }

    private static void exec(PostgresServer pg, String url, String... sql) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }
}
