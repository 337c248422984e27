package dev.dbsync.crate;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Full sync PostgreSQL → CrateDB of N rows (default 1,000,000) through the engine, beside a raw bulk insert of
 * the same rows read from the same PostgreSQL into the same CrateDB with plain JDBC batches, printed as a ratio.
 * Needs a CrateDB ({@code DBSYNC_IT_CRATE_URL} or Docker, see {@link CrateServer}); prints what is missing
 * otherwise. Run: {@code mvn -pl sync-crate exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.dbsync.crate.CrateSyncBenchmark [-Dexec.args="1000000 2"]} (rows, rounds).
 */
public final class CrateSyncBenchmark {

    private CrateSyncBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        CrateServer crate;
        try {
            crate = CrateServer.get();
        } catch (IllegalStateException e) {
            System.out.println("CrateSyncBenchmark NOT RUN: " + e.getMessage());
            return;
        }
        PostgresServer pg = PostgresServer.get();
        String pgUrl = pg.createDatabase("bench");
        try (Connection c = connect(pg, pgUrl); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, price NUMERIC(12,2) NOT NULL, "
                    + "qty INT NOT NULL, updated_at TIMESTAMPTZ NOT NULL, is_deleted BOOLEAN NOT NULL)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g, (g % 1000) + 0.99, g % 100, "
                    + "now() - (g || ' seconds')::interval, false FROM generate_series(1, " + rows + ") g");
            st.execute("ANALYZE items");
        }
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        System.out.printf(Locale.ROOT, "PostgreSQL: %s%nCrateDB: %s%nrows: %d, rounds: %d (raw first in odd rounds, "
                + "dbsync first in even ones; each round's tables dropped after it)%n", pg.kind(), crate.kind(), rows, rounds);
        List<Double> ratios = new ArrayList<>();
        Cpu cpu = new Cpu(crate.jdbcUrl(), pgUrl);
        for (int round = 1; round <= rounds; round++) {
            String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
            String rawTable = "bench_raw_" + run;
            String syncTable = "bench_sync_" + run;
            double rawSecs;
            double syncSecs;
            String rawCpu;
            String syncCpu;
            if (round % 2 == 1) {
                double[] c0 = cpu.now();
                rawSecs = raw(pg, pgUrl, crate, rawTable);
                double[] c1 = cpu.now();
                syncSecs = sync(pg, pgUrl, crate, syncTable);
                double[] c2 = cpu.now();
                rawCpu = Cpu.delta(c0, c1);
                syncCpu = Cpu.delta(c1, c2);
            } else {
                double[] c0 = cpu.now();
                syncSecs = sync(pg, pgUrl, crate, syncTable);
                double[] c1 = cpu.now();
                rawSecs = raw(pg, pgUrl, crate, rawTable);
                double[] c2 = cpu.now();
                syncCpu = Cpu.delta(c0, c1);
                rawCpu = Cpu.delta(c1, c2);
            }
            if (syncSecs < 0) {
                return;
            }
            long synced = count(crate, syncTable);
            long raw = count(crate, rawTable);
            double ratio = (synced / syncSecs) / (raw / rawSecs);
            ratios.add(ratio);
            System.out.printf(Locale.ROOT, "round %d: raw bulk insert %,d rows in %.1f s = %,.0f rows/s | dbsync full sync %,d rows"
                    + " in %.1f s = %,.0f rows/s | ratio sync/raw %.2f%n", round, raw, rawSecs, raw / rawSecs, synced, syncSecs,
                    synced / syncSecs, ratio);
            System.out.printf(Locale.ROOT, "         raw: %s | sync: %s%n", rawCpu, syncCpu);
            drop(crate, rawTable);
            drop(crate, syncTable);
        }
        System.out.printf(Locale.ROOT, "ratios sync/raw: %s%n", ratios);
    }

    /** Raw bulk insert of the same rows: read from PostgreSQL, plain INSERT batches of 5,000, one refresh. */
    private static double raw(PostgresServer pg, String pgUrl, CrateServer crate, String rawTable) throws Exception {
        long t0 = System.nanoTime();
        try (Connection src = connect(pg, pgUrl); Connection dst = crate.connect()) {
            try (Statement st = dst.createStatement()) {
                st.execute("CREATE TABLE doc." + rawTable + " (id BIGINT PRIMARY KEY, name TEXT, price NUMERIC(12, 2), "
                        + "qty INTEGER, updated_at TIMESTAMP WITH TIME ZONE, is_deleted BOOLEAN) WITH (number_of_replicas = '0')");
            }
            src.setAutoCommit(false);
            try (Statement read = src.createStatement()) {
                read.setFetchSize(10_000);
                try (ResultSet rs = read.executeQuery("SELECT id, name, price, qty, updated_at, is_deleted FROM items ORDER BY id");
                     PreparedStatement ins = dst.prepareStatement("INSERT INTO doc." + rawTable
                             + " (id, name, price, qty, updated_at, is_deleted) VALUES (?, ?, ?, ?, ?, ?)")) {
                    int n = 0;
                    while (rs.next()) {
                        ins.setLong(1, rs.getLong(1));
                        ins.setString(2, rs.getString(2));
                        ins.setBigDecimal(3, rs.getBigDecimal(3));
                        ins.setInt(4, rs.getInt(4));
                        ins.setObject(5, rs.getObject(5, java.time.OffsetDateTime.class));
                        ins.setBoolean(6, rs.getBoolean(6));
                        ins.addBatch();
                        if (++n % 5000 == 0) {
                            ins.executeBatch();
                        }
                    }
                    ins.executeBatch();
                }
            }
            try (Statement st = dst.createStatement()) {
                st.execute("REFRESH TABLE doc." + rawTable);
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The engine: full sync PostgreSQL → CrateDB with the sink's defaults; -1 when it failed. */
    private static double sync(PostgresServer pg, String pgUrl, CrateServer crate, String syncTable) {
        Map<String, Object> pgConfig = new LinkedHashMap<>();
        pgConfig.put("url", pgUrl);
        if (pg.username() != null) {
            pgConfig.put("user", pg.username());
        }
        if (pg.password() != null) {
            pgConfig.put("password", pg.password());
        }
        Connectors connectors = Connectors.load();
        try (Source source = connectors.createSource("postgres", pgConfig);
             Sink sink = connectors.createSink("crate", crate.config("replicas", "0"))) {
            long t1 = System.nanoTime();
            SyncReport report = SyncEngine.builder().pipeline("bench").source(source).sink(sink)
                    .checkpointStore(CheckpointStores.memory()).batchRows(5000)
                    .table(TableSync.full(TableSpec.of("public.items")).withTarget(syncTable))
                    .build().runOnce();
            double secs = (System.nanoTime() - t1) / 1e9;
            if (!report.succeeded()) {
                System.out.println("sync failed: " + report.toText());
                return -1;
            }
            return secs;
        }
    }

    /**
     * CPU seconds used so far by this JVM, by the local CrateDB node (found by its PostgreSQL port in its command
     * line) and by the local PostgreSQL (its postmaster by port, with its live and reaped backends); -1 where the
     * process is not on this machine. Wall time hides where the work goes on a machine whose cores are shared;
     * CPU seconds per phase do not.
     */
    static final class Cpu {
        private static final long TICKS = 100; // USER_HZ on Linux
        private final String cratePort;
        private final String pgPort;

        Cpu(String crateUrl, String pgUrl) {
            this.cratePort = port(crateUrl);
            this.pgPort = port(pgUrl);
        }

        private static String port(String url) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("//[^/:]+:(\\d+)").matcher(url);
            return m.find() ? m.group(1) : "";
        }

        double[] now() {
            double jvm = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
            return new double[] {jvm, processTree("-Cpsql.port=" + cratePort + " ", false), processTree("-p " + pgPort + " ", true)};
        }

        /** utime+stime of the process whose command line holds {@code marker}, with its children if asked. */
        private static double processTree(String marker, boolean children) {
            try (var dirs = java.nio.file.Files.list(java.nio.file.Path.of("/proc"))) {
                List<String> pids = dirs.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).toList();
                String root = null;
                for (String pid : pids) {
                    String cmd = read("/proc/" + pid + "/cmdline").replace('\0', ' ');
                    if (cmd.contains(marker)) {
                        root = pid;
                        break;
                    }
                }
                if (root == null) {
                    return -1;
                }
                long ticks = 0;
                for (String pid : pids) {
                    String[] f = stat(pid);
                    if (f == null) {
                        continue;
                    }
                    if (pid.equals(root)) {
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                        if (children) {
                            ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
                        }
                    } else if (children && f[1].equals(root)) {
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                }
                return ticks / (double) TICKS;
            } catch (java.io.IOException | RuntimeException e) {
                return -1;
            }
        }

        /** The fields of /proc/PID/stat after the command name: [0]=state, [1]=ppid, [11]=utime … [14]=cstime. */
        private static String[] stat(String pid) {
            String s = read("/proc/" + pid + "/stat");
            int close = s.lastIndexOf(')');
            return close < 0 ? null : s.substring(close + 2).split(" ");
        }

        private static String read(String file) {
            try {
                return new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(file)),
                        java.nio.charset.StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return "";
            }
        }

        static String delta(double[] from, double[] to) {
            return String.format(Locale.ROOT, "CPU s: JVM %.1f, CrateDB %s, PostgreSQL %s", to[0] - from[0],
                    from[1] < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", to[1] - from[1]),
                    from[2] < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", to[2] - from[2]));
        }
    }

    private static void drop(CrateServer crate, String table) throws Exception {
        try (Connection c = crate.connect(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS doc." + table);
        }
    }

    private static long count(CrateServer crate, String table) throws Exception {
        try (Connection c = crate.connect(); Statement st = c.createStatement()) {
            st.execute("REFRESH TABLE doc." + table);
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM doc." + table)) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static Connection connect(PostgresServer pg, String url) throws Exception {
        return pg.username() == null ? DriverManager.getConnection(url) : DriverManager.getConnection(url, pg.username(), pg.password());
    }
}
