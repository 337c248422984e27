package dev.dbsync.clickhouse;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SinkReport;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.PostgresServer;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A sink added to a running pipeline: PostgreSQL (CDC) into a PostgreSQL sink that streams, then a ClickHouse sink is
 * added and snapshotted on its own. Measures, side by side in one run, how long the added sink takes to join and how
 * long a change takes to reach the streaming sink meanwhile: once with PostgreSQL's ordered feed (the streaming sink
 * goes on while the other is snapshotted), once with the same source made to hide its order (the streaming sink waits,
 * as with feeds that have none). A prober updates one row and waits until the streaming sink has it, again and
 * again, until the added sink has joined; the first probe also waits for the engine to start. Figures are through the
 * whole engine.
 *
 * <pre>
 * mvn -q -o -pl sync-clickhouse test-compile exec:java -Dexec.mainClass=dev.dbsync.clickhouse.FanOutJoinBenchmark -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false
 * </pre>
 * Optional argument: the row count (default 500000).
 */
public final class FanOutJoinBenchmark {

    private FanOutJoinBenchmark() {
    }

    private static PostgresServer pg;
    private static ClickHouseServer ch;

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 500_000;
        pg = PostgresServer.get();
        ch = ClickHouseServer.get();
        System.out.printf(Locale.ROOT, "%,d rows; %d cores, load average %.1f%n", rows, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(Locale.ROOT, "%-34s %9s %8s %14s %12s %12s %16s %14s%n", "feed", "join s", "probes", "first ms (start)",
                "p50 ms", "p95 ms", "max after first", "slot retained");
        for (int round = 0; round < 2; round++) {
            for (boolean ordered : new boolean[] {true, false}) {
                Result r = run(rows, ordered, round);
                List<Double> rest = r.latencies.subList(1, r.latencies.size());
                System.out.printf(Locale.ROOT, "%-34s %9.1f %8d %14.0f %12.0f %12.0f %16.0f %11.1f MB%n",
                        ordered ? "ordered (others keep streaming)" : "no order (others wait)", r.joinSeconds, r.latencies.size(),
                        r.latencies.get(0), pct(rest, 50), pct(rest, 95), pct(rest, 100), r.retainedBefore / 1e6);
            }
        }
        System.out.printf(Locale.ROOT, "load average at the end %.1f%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private record Result(double joinSeconds, List<Double> latencies, long retainedBefore) {
    }

    private static long retained(String url, String slot) throws Exception {
        try (Connection c = pg.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - restart_lsn FROM pg_replication_slots WHERE slot_name = '"
                     + slot + "'")) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    private static double pct(List<Double> values, int p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int i = (int) Math.ceil(p / 100.0 * v.size()) - 1;
        return v.get(Math.max(0, Math.min(v.size() - 1, i)));
    }

    private static Result run(int rows, boolean ordered, int round) throws Exception {
        String srcUrl = pg.createDatabase("joinbench");
        String aUrl = pg.createDatabase("joinbench_a");
        try (Connection c = pg.connect(srcUrl); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), qty int,"
                    + " updated_at timestamptz NOT NULL, note text)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g, (g % 100000) / 100.0, g % 1000,"
                    + " now() - interval '1 day' + g * interval '10 us', md5(g::text) FROM generate_series(1, " + rows + ") g");
            st.execute("VACUUM ANALYZE items");
        }
        String pipeline = "joinbench" + (ordered ? "o" : "u") + round;
        String cTable = "items_join_" + pipeline;
        CheckpointStore store = CheckpointStores.memory();
        long retained = Long.MAX_VALUE;
        for (int i = 0; i < 8 && retained > 32_000_000L; i++) {
            // later runs let the slot's restart point move past the first run's load of sink a (on the same server
            // here), as a slot in steady use retains only recent log
            try (SyncEngine first = engine(pipeline, srcUrl, ordered, store).sink("a", pgSink(aUrl)).build()) {
                SyncReport r = first.runOnce();
                if (!r.succeeded()) {
                    throw new IllegalStateException(r.toText());
                }
            }
            try (Connection c = pg.connect(srcUrl); Statement st = c.createStatement()) {
                st.execute("SELECT pg_log_standby_snapshot()");
            }
            retained = retained(srcUrl, "dbsync_" + pipeline);
        }
        List<Double> latencies = new ArrayList<>();
        long t0;
        double joined;
        SyncEngine e = engine(pipeline, srcUrl, ordered, store).sink("a", pgSink(aUrl))
                .sink("c", chSink(), Map.of("public.items", cTable, "items", cTable)).pollInterval(Duration.ofMillis(200)).build();
        try (Connection src = pg.connect(srcUrl); Connection a = pg.connect(aUrl);
             Statement sst = src.createStatement(); Statement ast = a.createStatement()) {
            t0 = System.nanoTime();
            e.start();
            int seq = 0;
            while (true) {
                SyncReport last = e.lastReport();
                SinkReport cr = last == null ? null : last.sink("c");
                if (cr != null && cr.succeeded()) {
                    joined = (System.nanoTime() - t0) / 1e9;
                    break;
                }
                if (System.nanoTime() - t0 > 900e9) {
                    throw new IllegalStateException("sink c did not join within 15 minutes");
                }
                seq++;
                long sent = System.nanoTime();
                sst.execute("UPDATE items SET note = 'probe " + seq + "', updated_at = now() WHERE id = 1");
                while (true) {
                    try (ResultSet rs = ast.executeQuery("SELECT note FROM items WHERE id = 1")) {
                        if (rs.next() && ("probe " + seq).equals(rs.getString(1))) {
                            break;
                        }
                    }
                    Thread.sleep(5);
                }
                latencies.add((System.nanoTime() - sent) / 1e6);
                if (System.getProperty("probes") != null) {
                    System.out.printf(Locale.ROOT, "  probe %d at %.2f s: %.0f ms%n", seq, (sent - t0) / 1e9, latencies.get(latencies.size() - 1));
                }
                Thread.sleep(50);
            }
        } finally {
            e.stop();
            try {
                e.drop();
            } finally {
                e.close();
            }
        }
        return new Result(joined, latencies, retained);
    }

    private static SyncEngine.Builder engine(String pipeline, String srcUrl, boolean ordered, CheckpointStore store) {
        Source s = Connectors.load().createSource("postgres", pgConfig(srcUrl));
        return SyncEngine.builder().pipeline(pipeline).checkpointStore(store).source(ordered ? s : new Unordered(s))
                .table(TableSync.cdc(TableSpec.of("public.items"))).streamIdle(Duration.ofMillis(300));
    }

    private static Map<String, Object> pgConfig(String url) {
        return pg.settings(url);
    }

    private static Sink pgSink(String url) {
        return Connectors.load().createSink("postgres", pgConfig(url));
    }

    private static Sink chSink() {
        return Connectors.load().createSink("clickhouse", ch.settings());
    }

    /** The same source with its feed's order hidden: the engine then makes the other sinks wait. */
    private static final class Unordered implements Source, StreamingSource {
        private final Source s;
        private final StreamingSource f;

        Unordered(Source s) {
            this.s = s;
            this.f = (StreamingSource) s;
        }

        @Override
        public List<String> listTables() {
            return s.listTables();
        }

        @Override
        public TableSchema describe(TableSpec spec) {
            return s.describe(spec);
        }

        @Override
        public OptionalLong estimateRows(TableSpec spec) {
            return s.estimateRows(spec);
        }

        @Override
        public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
            return s.readSnapshot(spec, schema, after, maxRows);
        }

        @Override
        public Position changesStart(TableSpec spec, TableSchema schema) {
            return s.changesStart(spec, schema);
        }

        @Override
        public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
            return s.readChanges(spec, schema, after, maxRows);
        }

        @Override
        public void close() {
            s.close();
        }

        @Override
        public void pipelineName(String pipeline) {
            f.pipelineName(pipeline);
        }

        @Override
        public Position streamStart(List<TableSpec> tables) {
            return f.streamStart(tables);
        }

        @Override
        public ChangeStream openStream(List<TableSchema> tables, List<TableSpec> specs, Position from) {
            return f.openStream(tables, specs, from);
        }

        @Override
        public String dropFeed() {
            return f.dropFeed();
        }

        @Override
        public java.util.Optional<dev.dbsync.spi.FeedStatus> feedStatus() {
            return f.feedStatus();
        }
    }
}
