package dev.dbsync.postgres.bench;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.CountingSink;
import dev.dbsync.testkit.PostgresServer;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * A table's snapshot against the physical limit, side by side in one run: raw binary {@code COPY items TO STDOUT}
 * (one stream, nothing decoded), the source's snapshot read alone, and a FULL sync through the whole engine into a
 * sink that only counts, each with 1, 2 and 4 snapshot readers. Every figure is the best of three interleaved runs; the ratios
 * are to the raw binary COPY.
 *
 * <pre>
 * mvn -q -o -pl sync-postgres test-compile exec:java -Dexec.mainClass=dev.dbsync.postgres.bench.SnapshotBenchmark -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false
 * </pre>
 * Optional argument: the row count (default 1000000).
 */
public final class SnapshotBenchmark {

    private static final int[] READERS = {1, 2, 4};
    /** Rounds, interleaved; the best of each is reported (the machine is shared, single runs swing by a third). */
    private static final int ROUNDS = 3;

    private SnapshotBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        PostgresServer server = PostgresServer.get();
        String url = server.createDatabase("snapbench");
        long t0 = System.nanoTime();
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), qty int,"
                    + " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, active boolean NOT NULL, note text)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g, (g % 100000) / 100.0, g % 1000,"
                    + " now() - interval '30 days' + g * interval '1 ms', now() - interval '1 day' + g * interval '10 us',"
                    + " g % 7 <> 0, md5(g::text) || ' ' || md5((g * 7)::text) FROM generate_series(1, " + rows + ") g");
            st.execute("VACUUM ANALYZE items");
        }
        System.out.printf(Locale.ROOT, "table items: %,d rows built in %.1f s%n", rows, secs(t0));
        String load0 = loadAverage();

        // warm-up: the JIT compiles the raw, source and engine paths alike before anything is measured
        rawCopy(server, url);
        for (int r : READERS) {
            sourceRead(server, url, r, rows);
            engineRun(server, url, r, rows);
        }

        double raw = 0;
        double[] source = new double[READERS.length];
        double[] engine = new double[READERS.length];
        for (int round = 0; round < ROUNDS; round++) {
            raw = Math.max(raw, rows / rawCopy(server, url));
            for (int i = 0; i < READERS.length; i++) {
                source[i] = Math.max(source[i], rows / sourceRead(server, url, READERS[i], rows));
                engine[i] = Math.max(engine[i], rows / engineRun(server, url, READERS[i], rows));
            }
        }

        System.out.println();
        System.out.printf(Locale.ROOT, "machine: %d cores (Runtime.availableProcessors), load average %s before, %s after;"
                + " %s%n", Runtime.getRuntime().availableProcessors(), load0, loadAverage(), server.kind());
        System.out.printf(Locale.ROOT, "%,d rows, best of %d interleaved runs each%n%n", rows, ROUNDS);
        System.out.printf(Locale.ROOT, "%-62s %12s %8s%n", "measurement", "rows/s", "ratio");
        System.out.printf(Locale.ROOT, "%-62s %,12.0f %8.2f%n", "raw binary COPY items TO STDOUT, one stream (no decoding)", raw, 1.0);
        for (int i = 0; i < READERS.length; i++) {
            System.out.printf(Locale.ROOT, "%-62s %,12.0f %8.2f%n", "source readSnapshot alone, readers " + READERS[i]
                    + " (decoded events)", source[i], source[i] / raw);
        }
        for (int i = 0; i < READERS.length; i++) {
            System.out.printf(Locale.ROOT, "%-62s %,12.0f %8.2f%n", "FULL sync, engine -> counting sink, readers " + READERS[i],
                    engine[i], engine[i] / raw);
        }
        System.out.println();
        System.out.println("ratio = rows/s / raw binary COPY rows/s; target: engine into a counting sink >= 0.80");
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static Map<String, Object> config(PostgresServer server, String url, int readers) {
        Map<String, Object> m = new HashMap<>();
        m.put("url", url);
        if (server.username() != null) {
            m.put("user", server.username());
        }
        if (server.password() != null) {
            m.put("password", server.password());
        }
        m.put("snapshot.readers", String.valueOf(readers));
        return m;
    }

    /** Seconds for one raw binary COPY of the whole table into nothing. */
    private static double rawCopy(PostgresServer server, String url) throws Exception {
        try (Connection c = server.connect(url)) {
            long t = System.nanoTime();
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY items TO STDOUT (FORMAT binary)",
                    OutputStream.nullOutputStream());
            return secs(t);
        }
    }

    /** Seconds for reading the whole snapshot from the source in chunks of 10,000, as the engine asks by default. */
    private static double sourceRead(PostgresServer server, String url, int readers, int rows) {
        try (Source source = Connectors.load().createSource("postgres", config(server, url, readers))) {
            TableSpec spec = TableSpec.of("public.items");
            TableSchema schema = source.describe(spec);
            long t = System.nanoTime();
            long n = 0;
            Position after = null;
            while (true) {
                Chunk c = source.readSnapshot(spec, schema, after, 10_000);
                n += c.events().size();
                after = c.next();
                if (c.last()) {
                    break;
                }
            }
            double s = secs(t);
            check(n, rows, "source read with " + readers + " readers");
            return s;
        }
    }

    /** Seconds for a FULL sync of the table through the engine into a sink that only counts. */
    private static double engineRun(PostgresServer server, String url, int readers, int rows) {
        CountingSink sink = new CountingSink();
        try (Source source = Connectors.load().createSource("postgres", config(server, url, readers))) {
            long t = System.nanoTime();
            SyncReport r = SyncEngine.builder().pipeline("bench").source(source).sink(sink)
                    .checkpointStore(CheckpointStores.memory()).table(TableSync.full(TableSpec.of("public.items")))
                    .progressInterval(Duration.ofHours(1)).build().runOnce();
            double s = secs(t);
            if (!r.succeeded()) {
                throw new IllegalStateException(r.toText());
            }
            check(sink.rows(), rows, "engine run with " + readers + " readers");
            return s;
        }
    }

    private static void check(long got, long expected, String what) {
        if (got != expected) {
            throw new IllegalStateException(what + " delivered " + got + " rows, expected " + expected);
        }
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
