package dev.dbsync.postgres.bench;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * Change data capture figures, measured side by side in one run on the test kit's PostgreSQL:
 * <ol>
 *   <li>catch-up throughput of the decoded change feed (events/s) against pgjdbc's raw replication stream
 *       reading the same WAL without decoding, as a ratio;</li>
 *   <li>a steady write load through {@link SyncEngine} into a PostgreSQL sink: events/s and the lag from
 *       commit in the source to visible in the target (p50, p95, p99, max).</li>
 * </ol>
 * Run: {@code mvn -q -o -pl sync-postgres test-compile exec:java -Dexec.mainClass=dev.dbsync.postgres.bench.CdcBenchmark
 * -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false [-Dexec.args="rows rate seconds"]}
 */
public final class CdcBenchmark {

    private CdcBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        PostgresServer server = PostgresServer.get();
        System.out.println("server: " + server.kind());
        String srcUrl = server.createDatabase("cdcbench_src");
        String dstUrl = server.createDatabase("cdcbench_dst");
        exec(server, srcUrl, "CREATE TABLE bench_cdc (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2),"
                + " note text, updated_at timestamptz NOT NULL DEFAULT now())");
        Connectors connectors = Connectors.load();
        List<String> slots = List.of("cdcbench_raw", "cdcbench_feed", "cdcbench_e2e");
        try {
            throughput(server, connectors, srcUrl, rows);
            steady(server, connectors, srcUrl, dstUrl, rate, seconds);
        } finally {
            for (String s : slots) {
                exec(server, srcUrl, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + s + "'");
            }
        }
    }

    // ------------------------------------------------------------------ 1. catch-up throughput

    private static void throughput(PostgresServer server, Connectors connectors, String srcUrl, int rows) throws Exception {
        TableSpec spec = TableSpec.of("public.bench_cdc");
        Source source = connectors.createSource("postgres", sourceConfig(server, srcUrl, "cdcbench_feed"));
        StreamingSource feed = (StreamingSource) source;
        Position start = feed.streamStart(List.of(spec));
        exec(server, srcUrl, "SELECT pg_create_logical_replication_slot('cdcbench_raw', 'pgoutput')");
        TableSchema schema = source.describe(spec);

        // one transaction inserting, one updating every row: 2 × rows events
        long t0 = System.nanoTime();
        exec(server, srcUrl, "INSERT INTO bench_cdc (id, account, amount, note) SELECT i, i % 1000, i * 0.01, 'note ' || i"
                + " FROM generate_series(1, " + rows + ") i");
        exec(server, srcUrl, "UPDATE bench_cdc SET amount = amount + 1, updated_at = now()");
        System.out.printf(Locale.ROOT, "wrote %,d inserts and %,d updates in %.1f s%n", rows, rows, seconds(t0));
        long events = 2L * rows;

        long r0 = System.nanoTime();
        long rawMessages = readRaw(server, srcUrl, "cdcbench_raw", 2);
        double raw = seconds(r0);

        long d0 = System.nanoTime();
        long decoded = 0;
        try (ChangeStream stream = feed.openStream(List.of(schema), List.of(spec), start)) {
            while (decoded < events) {
                List<ChangeEvent> batch = stream.poll(Duration.ofMillis(200));
                decoded += batch.size();
                if (!batch.isEmpty()) {
                    stream.acknowledge(batch.get(batch.size() - 1).position());
                }
            }
        }
        double dec = seconds(d0);
        source.close();
        System.out.printf(Locale.ROOT, "catch-up, %,d changes in 2 transactions:%n", events);
        System.out.printf(Locale.ROOT, "  raw pgjdbc replication stream (no decoding): %,10.0f messages/s (%,d in %.2f s)%n",
                rawMessages / raw, rawMessages, raw);
        System.out.printf(Locale.ROOT, "  dbsync change feed (decoded events):         %,10.0f events/s   (%,d in %.2f s)%n",
                decoded / dec, decoded, dec);
        System.out.printf(Locale.ROOT, "  ratio feed / raw: %.2f%n", (decoded / dec) / (rawMessages / raw));
    }

    /** Reads the slot with pgjdbc's replication API until {@code commits} commits, only counting messages. */
    private static long readRaw(PostgresServer server, String url, String slot, int commits) throws SQLException {
        java.util.Properties p = new java.util.Properties();
        if (server.username() != null) {
            PGProperty.USER.set(p, server.username());
        }
        if (server.password() != null) {
            PGProperty.PASSWORD.set(p, server.password());
        }
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "9.4");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        try (Connection c = java.sql.DriverManager.getConnection(url, p)) {
            PGReplicationStream stream = c.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                    .withSlotName(slot).withSlotOption("proto_version", "1")
                    .withSlotOption("publication_names", "cdcbench_feed")
                    .withStatusInterval(10, TimeUnit.SECONDS).start();
            long messages = 0;
            int seen = 0;
            while (seen < commits) {
                ByteBuffer b = stream.readPending();
                if (b == null) {
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                    continue;
                }
                byte type = b.get(b.position());
                if (type == 'I' || type == 'U' || type == 'D') {
                    messages++;
                } else if (type == 'C') {
                    seen++;
                    LogSequenceNumber l = stream.getLastReceiveLSN();
                    stream.setFlushedLSN(l);
                    stream.setAppliedLSN(l);
                }
            }
            stream.close();
            return messages;
        }
    }

    // ------------------------------------------------------------------ 2. steady load through the engine

    private static void steady(PostgresServer server, Connectors connectors, String srcUrl, String dstUrl, int rate,
                               int seconds) throws Exception {
        exec(server, srcUrl, "TRUNCATE bench_cdc");
        Source source = connectors.createSource("postgres", sourceConfig(server, srcUrl, "cdcbench_e2e"));
        Map<String, Object> sinkConfig = new java.util.HashMap<>(Map.of("url", dstUrl));
        if (server.username() != null) {
            sinkConfig.put("user", server.username());
        }
        if (server.password() != null) {
            sinkConfig.put("password", server.password());
        }
        Sink sink = connectors.createSink("postgres", sinkConfig);
        Path dir = Files.createTempDirectory("cdcbench");
        SyncEngine engine = SyncEngine.builder().pipeline("cdcbench").source(source).sink(sink)
                .checkpointStore(CheckpointStores.file(dir))
                .table(TableSync.cdc(TableSpec.of("public.bench_cdc")))
                .streamIdle(Duration.ofSeconds(3))
                .build();
        AtomicReference<SyncReport> report = new AtomicReference<>();
        Thread pipeline = new Thread(() -> report.set(engine.runOnce()), "cdcbench-engine");
        pipeline.start();
        // the engine snapshots the (empty) table and opens the feed; wait for the target table
        waitForTable(server, dstUrl);

        int perTxn = Math.max(1, rate / 100);
        int txns = rate * seconds / perTxn;
        long[] committed = new long[txns];
        long[] visible = new long[txns];
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> watch(server, dstUrl, perTxn, committed, visible, writing), "cdcbench-watch");
        watcher.start();
        long w0 = System.nanoTime();
        try (Connection c = server.connect(srcUrl)) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                for (int t = 0; t < txns; t++) {
                    long due = w0 + (long) t * 10_000_000L;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    long first = (long) t * perTxn + 1;
                    st.execute("INSERT INTO bench_cdc (id, account, amount, note) SELECT i, i % 1000, i * 0.01, 'steady ' || i"
                            + " FROM generate_series(" + first + ", " + (first + perTxn - 1) + ") i");
                    c.commit();
                    committed[t] = System.nanoTime();
                }
            }
        }
        double writeSeconds = seconds(w0);
        watcher.join(TimeUnit.SECONDS.toMillis(60));
        writing.set(false);
        pipeline.join();
        engine.close();
        long lastVisible = Arrays.stream(visible).max().orElse(0);
        long[] lags = new long[txns];
        int missing = 0;
        for (int t = 0; t < txns; t++) {
            if (visible[t] == 0) {
                missing++;
            }
            lags[t] = visible[t] - committed[t];
        }
        Arrays.sort(lags);
        long total = (long) txns * perTxn;
        System.out.printf(Locale.ROOT, "steady load through SyncEngine into the PostgreSQL sink: %,d rows/s offered in"
                + " transactions of %d rows for %d s%n", rate, perTxn, seconds);
        System.out.printf(Locale.ROOT, "  delivered %,d events in %.2f s: %,.0f events/s (offered %,.0f/s)%n", total,
                (lastVisible - w0) / 1e9, total / ((lastVisible - w0) / 1e9), total / writeSeconds);
        System.out.printf(Locale.ROOT, "  lag commit -> visible in the target: p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms%s%n",
                ms(lags, 0.50), ms(lags, 0.95), ms(lags, 0.99), lags[txns - 1] / 1e6,
                missing == 0 ? "" : " (" + missing + " transactions never seen!)");
        System.out.println("  engine: " + (report.get() == null ? "no report" : report.get().toText().replace("\n", "\n          ")));
    }

    /** Polls the target's max(id) every 2 ms and stamps each transaction when its last row becomes visible. */
    private static void watch(PostgresServer server, String url, int perTxn, long[] committed, long[] visible,
                              AtomicBoolean writing) {
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            int next = 0;
            while (next < visible.length && writing.get()) {
                try (ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM bench_cdc")) {
                    rs.next();
                    long max = rs.getLong(1);
                    long now = System.nanoTime();
                    while (next < visible.length && (long) (next + 1) * perTxn <= max) {
                        visible[next++] = now;
                    }
                }
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void waitForTable(PostgresServer server, String url) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Connection c = server.connect(url); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT to_regclass('public.bench_cdc') IS NOT NULL")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    Thread.sleep(1000);
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the engine did not create the target table");
    }

    private static Map<String, Object> sourceConfig(PostgresServer server, String url, String slot) {
        Map<String, Object> m = new java.util.HashMap<>(Map.of("url", url, "slot.name", slot, "publication.name", "cdcbench_feed"));
        if (server.username() != null) {
            m.put("user", server.username());
        }
        if (server.password() != null) {
            m.put("password", server.password());
        }
        return m;
    }

    private static void exec(PostgresServer server, String url, String sql) throws SQLException {
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1e6;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

}
