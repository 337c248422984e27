package dev.dbsync.cli.datagen;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.PostgresServer;
import java.io.File;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;

/**
 * The people data set (users, emails, phone numbers; 10M users ≈ 50M rows) synced PostgreSQL → ClickHouse and
 * PostgreSQL → PostgreSQL by a separate JVM with a 256 MB heap: rows/s, peak heap and CPU seconds of the syncing
 * process, beside the raw baselines measured in the same run (binary COPY out of the source; a raw PostgreSQL →
 * PostgreSQL copy, COPY TO piped into COPY FROM). Then the same sync killed mid-way (SIGKILL) and resumed: the resumed
 * run must read only what the killed one had not finished, and the target must hold every source row.
 *
 * <pre>
 * ./mvnw -q -o -pl sync-cli test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *     -Dexec.args="-cp %classpath dev.dbsync.cli.datagen.ScaleBenchmark 10000000 60"
 * </pre>
 * (exec:exec, not exec:java: the syncing processes are started with this JVM's class path.)
 * Arguments: users (default 10,000,000), seconds before the kill (default 0: 40 % of the clean run's time).
 */
public final class ScaleBenchmark {

    private static final List<String> TABLES = List.of("users", "emails", "phone_numbers");

    private ScaleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long users = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        int killArg = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        PostgresServer pg = PostgresServer.get();
        ClickHouseServer ch = ClickHouseServer.get();
        String src = pg.createDatabase("scale_src");
        long total = ensureData(pg, src, users);
        System.out.printf(Locale.ROOT, "people data set: %,d users, %,d rows in %s; %d cores, load average %.1f%n", users, total,
                TABLES, Runtime.getRuntime().availableProcessors(), load());

        double copyOut = rawCopyOut(pg, src, total);
        String rawDst = pg.createDatabase("scale_raw");
        double rawPgPg = rawPipe(pg, src, rawDst, total);
        System.out.printf(Locale.ROOT, "raw binary COPY out of the source, all tables:          %,12.0f rows/s%n", copyOut);
        System.out.printf(Locale.ROOT, "raw PostgreSQL -> PostgreSQL, COPY TO piped to COPY FROM: %,10.0f rows/s%n", rawPgPg);

        for (String target : List.of("clickhouse", "postgres")) {
            String dst = target.equals("postgres") ? pg.createDatabase("scale_dst") : null;
            Path dir = Files.createTempDirectory("scale-" + target);
            String[] childArgs = {target, src, orDash(pg.username()), orDash(pg.password()),
                    dst == null ? ch.httpUrl() : dst, dst == null ? orDash(ch.username()) : orDash(pg.username()),
                    dst == null ? orDash(ch.password()) : orDash(pg.password()), ch.database(), dir.toString(), "clean"};
            Map<String, String> clean = child(childArgs, -1);
            double rate = total / Double.parseDouble(clean.get("seconds"));
            double base = target.equals("postgres") ? rawPgPg : copyOut;
            System.out.printf(Locale.ROOT, "%nPostgreSQL -> %s, whole engine, FULL snapshot of %,d rows, -Xmx256m:%n", target, total);
            System.out.printf(Locale.ROOT, "  %,.0f rows/s in %s s; heap left by collections at most %s MB of 256;"
                    + " CPU %s s of the syncing process; ratio to %s %.2f%n",
                    rate, clean.get("seconds"), clean.get("liveHeapMb"), clean.get("cpuSeconds"),
                    target.equals("postgres") ? "the raw PostgreSQL copy" : "raw binary COPY out", rate / base);

            // killed at 40 % of the clean run's time unless given: mid-way through the snapshots
            int killAfter = killArg > 0 ? killArg : (int) Math.max(5, 0.4 * Double.parseDouble(clean.get("seconds")));
            childArgs[8] = Files.createTempDirectory("scale-kill-" + target).toString();
            childArgs[9] = "killed";
            child(childArgs, killAfter);
            Map<String, String> resumed = child(childArgs, -1);
            long reread = Long.parseLong(resumed.get("rowsRead"));
            long inTarget = 0;
            for (String t : TABLES) {
                String name = "scale_killed_" + t;
                if (dst != null) {
                    try (Connection c = pg.connect(dst); Statement st = c.createStatement();
                         ResultSet rs = st.executeQuery("SELECT count(*) FROM \"" + name + "\"")) {
                        rs.next();
                        inTarget += rs.getLong(1);
                    }
                } else {
                    inTarget += Long.parseLong(ch.query("SELECT count() FROM `" + ch.database() + "`.`" + name
                            + "` FINAL WHERE _is_deleted = 0").trim());
                }
            }
            System.out.printf(Locale.ROOT, "  killed after %d s and resumed: the resumed run read %,d rows (%.0f%% of the table set)"
                    + " in %s s (the killed run had read the rest); the target holds %,d live rows of %,d in the source%s%n", killAfter, reread,
                    100.0 * reread / total, resumed.get("seconds"), inTarget, total, inTarget == total ? " (equal counts)" : " — DIFFERENT");
        }
        System.out.printf(Locale.ROOT, "load average at the end %.1f%n", load());
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }

    private static String orNull(String s) {
        return "-".equals(s) ? null : s;
    }

    /** Generates the data set unless the source already holds it for this many users; returns the row count. */
    private static long ensureData(PostgresServer pg, String url, long users) throws Exception {
        try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM users")) {
                rs.next();
                if (rs.getLong(1) == users) {
                    return count(c);
                }
            } catch (java.sql.SQLException missing) {
                // not generated yet
            }
        }
        long t0 = System.nanoTime();
        PeopleGenerator.builder().users(users).replaceExisting(true).build()
                .generate(ConnectionSource.of(url, pg.username(), pg.password()));
        try (Connection c = pg.connect(url)) {
            long n = count(c);
            System.out.printf(Locale.ROOT, "generated %,d rows in %.0f s%n", n, (System.nanoTime() - t0) / 1e9);
            return n;
        }
    }

    private static long count(Connection c) throws Exception {
        long n = 0;
        try (Statement st = c.createStatement()) {
            for (String t : TABLES) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) {
                    rs.next();
                    n += rs.getLong(1);
                }
            }
        }
        return n;
    }

    private static double rawCopyOut(PostgresServer pg, String url, long total) throws Exception {
        long t0 = System.nanoTime();
        try (Connection c = pg.connect(url)) {
            for (String t : TABLES) {
                c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY " + t + " TO STDOUT (FORMAT binary)",
                        OutputStream.nullOutputStream());
            }
        }
        return total / ((System.nanoTime() - t0) / 1e9);
    }

    /** COPY TO of each table piped into COPY FROM of an empty copy with its primary key: the raw PostgreSQL copy. */
    private static double rawPipe(PostgresServer pg, String src, String dst, long total) throws Exception {
        try (Connection c = pg.connect(dst); Statement st = c.createStatement()) {
            for (String ddl : PeopleGenerator.createTables(true)) {
                st.execute(ddl);
            }
            for (String t : TABLES) {
                st.execute("ALTER TABLE " + t + " ADD PRIMARY KEY (id)");
            }
        }
        long t0 = System.nanoTime();
        try (Connection in = pg.connect(src); Connection out = pg.connect(dst)) {
            for (String t : TABLES) {
                PipedInputStream pipeIn = new PipedInputStream(1 << 20);
                PipedOutputStream pipeOut = new PipedOutputStream(pipeIn);
                Thread reader = new Thread(() -> {
                    try (pipeOut) {
                        in.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY " + t + " TO STDOUT (FORMAT binary)", pipeOut);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                reader.start();
                out.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + t + " FROM STDIN (FORMAT binary)", pipeIn);
                reader.join();
            }
        }
        return total / ((System.nanoTime() - t0) / 1e9);
    }

    /** Runs the sync in a JVM with a 256 MB heap; killed after {@code killAfter} seconds unless negative. */
    private static Map<String, String> child(String[] args, int killAfter) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                Child.class.getName()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("scale-child", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File(log.toString())).start();
        if (killAfter >= 0) {
            if (!p.waitFor(killAfter, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                return Map.of();
            }
            throw new IllegalStateException("the sync ended before the kill; choose a shorter time: " + Files.readString(log));
        }
        p.waitFor();
        Map<String, String> out = new HashMap<>();
        for (String line : Files.readAllLines(log)) {
            if (line.startsWith("RESULT ")) {
                for (String kv : line.substring(7).split(" ")) {
                    String[] f = kv.split("=", 2);
                    out.put(f[0], f[1]);
                }
            }
        }
        if (!"true".equals(out.get("ok"))) {
            throw new IllegalStateException("the sync failed: " + String.join("\n", Files.readAllLines(log)));
        }
        return out;
    }

    /** The syncing process (peak heap = the sum of the heap pools' peaks, an upper bound): one runOnce of the three tables (incremental, so a killed snapshot resumes). */
    public static final class Child {
        private Child() {
        }

        public static void main(String[] a) throws Exception {
            String target = a[0];
            Map<String, Object> source = new HashMap<>();
            source.put("url", a[1]);
            source.put("user", orNull(a[2]));
            source.put("password", orNull(a[3]));
            source.values().removeIf(v -> v == null);
            Map<String, Object> sink = new HashMap<>();
            sink.put("url", a[4]);
            sink.put("user", orNull(a[5]));
            sink.put("password", orNull(a[6]));
            if (target.equals("clickhouse")) {
                sink.put("database", a[7]);
            }
            sink.values().removeIf(v -> v == null);
            String prefix = "scale_" + a[9] + "_";
            Connectors connectors = Connectors.load();
            SyncEngine.Builder b = SyncEngine.builder().pipeline("scale-" + target + "-" + a[9])
                    .source(connectors.createSource("postgres", source)).sink(connectors.createSink(target, sink))
                    .checkpointStore(CheckpointStores.file(Path.of(a[8]))).parallelism(1)
                    .flushRows(target.equals("clickhouse") ? 200_000 : 0);
            for (String t : TABLES) {
                b.table(TableSync.incremental(TableSpec.of("public." + t).withCursor("updated_at").withSoftDelete("is_deleted"))
                        .withTarget(prefix + t));
            }
            // the heap a collection leaves (live data) is what the sync needs; the pools' peaks are what the JVM let it use
            long[] live = new long[1];
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    long used = 0;
                    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                        if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                            used += pool.getCollectionUsage().getUsed();
                        }
                    }
                    live[0] = Math.max(live[0], used);
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.setDaemon(true);
            sampler.start();
            long cpu0 = cpu();
            long t0 = System.nanoTime();
            SyncReport r;
            try (SyncEngine engine = b.build()) {
                r = engine.runOnce();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            System.out.println(r.toText());
            sampler.interrupt();
            System.out.printf(Locale.ROOT, "RESULT ok=%s seconds=%.1f rowsRead=%d targetRows=%d peakHeapMb=%d liveHeapMb=%d cpuSeconds=%.0f%n",
                    r.succeeded(), secs, r.rowsRead(), r.upserted(), peak >> 20, live[0] >> 20, (cpu() - cpu0) / 1e9);
        }

        private static long cpu() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        }
    }
}
