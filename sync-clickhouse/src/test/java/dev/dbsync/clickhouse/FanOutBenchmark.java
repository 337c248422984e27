package dev.dbsync.clickhouse;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.PostgresServer;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One read into 1, 2 and 4 sinks (a pipeline with several sinks) against as many separate pipelines running at the
 * same time, on the same table, in one run: wall time, rows delivered per second, rows read from the source and the
 * source server's work ({@code pg_stat_database.tup_returned} and blocks of the source database). Sinks alternate
 * PostgreSQL and ClickHouse. Figures are through the whole engine.
 *
 * <pre>
 * mvn -q -o -pl sync-clickhouse test-compile exec:java -Dexec.mainClass=dev.dbsync.clickhouse.FanOutBenchmark -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false
 * </pre>
 * Optional argument: the row count (default 300000).
 */
public final class FanOutBenchmark {

    private FanOutBenchmark() {
    }

    private static PostgresServer pg;
    private static ClickHouseServer ch;
    private static String srcUrl;
    private static final List<String> PG_TARGETS = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        pg = PostgresServer.get();
        ch = ClickHouseServer.get();
        srcUrl = pg.createDatabase("fanbench");
        PG_TARGETS.add(pg.createDatabase("fanbench_t1"));
        PG_TARGETS.add(pg.createDatabase("fanbench_t2"));
        try (Connection c = pg.connect(srcUrl); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS items");
            st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), qty int,"
                    + " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, active boolean NOT NULL, note text)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g, (g % 100000) / 100.0, g % 1000,"
                    + " now() - interval '30 days' + g * interval '1 ms', now() - interval '1 day' + g * interval '10 us',"
                    + " g % 7 <> 0, md5(g::text) FROM generate_series(1, " + rows + ") g");
            st.execute("VACUUM ANALYZE items");
        }
        double[] load = new double[1];
        load[0] = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        System.out.printf(Locale.ROOT, "%,d rows; %d cores, load average %.1f; sinks alternate PostgreSQL and ClickHouse%n",
                rows, Runtime.getRuntime().availableProcessors(), load[0]);
        run(1, "warm-up", rows, false);
        System.out.printf(Locale.ROOT, "%n%-6s %-24s %9s %14s %16s %16s %14s%n", "sinks", "how", "seconds", "rows/s delivered",
                "source rows read", "tup_returned", "blocks");
        for (int n : new int[] {1, 2, 4}) {
            Result fan = run(n, "one pipeline, " + n + " sinks", rows, true);
            Result sep = run(n, n + " pipelines at once", rows, false);
            for (Result r : List.of(fan, sep)) {
                System.out.printf(Locale.ROOT, "%-6d %-24s %9.2f %,14.0f %,16d %,16d %,14d%n", n, r.how, r.seconds,
                        (double) rows * n / r.seconds, r.sourceRows, r.tupReturned, r.blocks);
            }
            System.out.printf(Locale.ROOT, "       fan-out / separate: time %.2f, source rows read %.2f, tup_returned %.2f%n",
                    fan.seconds / sep.seconds, (double) fan.sourceRows / sep.sourceRows, (double) fan.tupReturned / sep.tupReturned);
        }
        System.out.printf(Locale.ROOT, "load average at the end %.1f%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private record Result(String how, double seconds, long sourceRows, long tupReturned, long blocks) {
    }

    private static Map<String, Object> pgConfig(String url) {
        return pg.settings(url);
    }

    private static Sink sink(int i) {
        Connectors c = Connectors.load();
        if (i % 2 == 0) {
            return c.createSink("postgres", pgConfig(PG_TARGETS.get(i / 2)));
        }
        return c.createSink("clickhouse", ch.settings());
    }

    private static long[] sourceStats() throws Exception {
        try (Connection c = pg.connect(srcUrl); Statement st = c.createStatement()) {
            st.execute("SELECT pg_stat_force_next_flush()");
            try (ResultSet rs = st.executeQuery("SELECT tup_returned, blks_hit + blks_read FROM pg_stat_database"
                    + " WHERE datname = current_database()")) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2)};
            }
        }
    }

    /** Each sink i writes table items_&lt;i&gt;, so the two ways of running write the same targets. */
    private static Result run(int sinks, String how, int rows, boolean fanOut) throws Exception {
        long[] before = sourceStats();
        long t0 = System.nanoTime();
        long read = 0;
        if (fanOut) {
            SyncEngine.Builder b = SyncEngine.builder().pipeline("fanbench").checkpointStore(CheckpointStores.memory())
                    .source(Connectors.load().createSource("postgres", pgConfig(srcUrl)))
                    .table(TableSync.full(TableSpec.of("public.items")).withTarget("items_bench"));
            for (int i = 0; i < sinks; i++) {
                b.sink("s" + i, sink(i), Map.of("items_bench", "items_" + i));
            }
            try (SyncEngine e = b.build()) {
                SyncReport r = e.runOnce();
                check(r, rows);
                read = r.rowsRead();
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(sinks);
            List<Future<SyncReport>> all = new ArrayList<>();
            for (int i = 0; i < sinks; i++) {
                int n = i;
                all.add(pool.submit(() -> {
                    try (Source s = Connectors.load().createSource("postgres", pgConfig(srcUrl)); Sink k = sink(n);
                         SyncEngine e = SyncEngine.builder().pipeline("sep" + n).source(s).sink(k)
                                 .checkpointStore(CheckpointStores.memory())
                                 .table(TableSync.full(TableSpec.of("public.items")).withTarget("items_" + n)).build()) {
                        return e.runOnce();
                    }
                }));
            }
            for (Future<SyncReport> f : all) {
                SyncReport r = f.get();
                check(r, rows);
                read += r.rowsRead();
            }
            pool.shutdown();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long[] after = sourceStats();
        return new Result(how, secs, read, after[0] - before[0], after[1] - before[1]);
    }

    private static void check(SyncReport r, int rows) {
        if (!r.succeeded() || r.rowsRead() != rows) {
            throw new IllegalStateException("sync failed or read other than " + rows + " rows: " + r.toText());
        }
    }
}
