package dev.dbsync.postgres.bench;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * Measures the PostgreSQL connector against raw COPY on the same 1M-row table, side by side in one run.
 *
 * <p>Run from the repository root:
 * <pre>
 * mvn -q -o -pl sync-postgres test-compile exec:java -Dexec.mainClass=dev.dbsync.postgres.bench.PostgresBenchmark  -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false
 * </pre>
 * Optional argument: the row count (default 1000000).
 */
public final class PostgresBenchmark {

    private PostgresBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        PostgresServer server = PostgresServer.get();
        String srcUrl = server.createDatabase("benchsrc");
        String dstUrl = server.createDatabase("benchdst");
        Map<String, Object> srcCfg = config(server, srcUrl);
        Map<String, Object> dstCfg = config(server, dstUrl);

        long t0 = System.nanoTime();
        try (Connection c = server.connect(srcUrl); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), qty int,"
                    + " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, active boolean NOT NULL, note text)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g, (g % 100000) / 100.0, g % 1000,"
                    + " now() - interval '30 days' + g * interval '1 ms', now() - interval '1 day' + g * interval '10 us',"
                    + " g % 7 <> 0, md5(g::text) || ' ' || md5((g * 7)::text) FROM generate_series(1, " + rows + ") g");
            st.execute("CREATE INDEX items_updated ON items (updated_at, id)");
            st.execute("VACUUM ANALYZE items");
        }
        System.out.printf(Locale.ROOT, "table items: %,d rows built in %.1f s%n", rows, secs(t0));

        // warm-up so the JIT has compiled the raw and the connector paths alike
        rawCopyOut(server, srcUrl, "binary");
        sourceRead(srcCfg, 10_000);

        double rawBinary = best(() -> rows / timed(() -> rawCopyOut(server, srcUrl, "binary")));
        double rawText = best(() -> rows / timed(() -> rawCopyOut(server, srcUrl, "text")));
        double read10k = best(() -> sourceRead(srcCfg, 10_000) / lastSeconds);
        double read50k = best(() -> sourceRead(srcCfg, 50_000) / lastSeconds);
        double rawOut = Math.max(rawBinary, rawText);

        byte[] textData = copyOutBytes(server, srcUrl);
        double rawIn = best(() -> rows / rawCopyIn(server, dstUrl, textData));

        try (Connection c = server.connect(dstUrl); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS raw_in");
        }
        CheckpointStore store = CheckpointStores.memory();
        TableSync table = TableSync.incremental(TableSpec.of("public.items").withCursor("updated_at"));
        long f0 = System.nanoTime();
        SyncReport full = run(srcCfg, dstCfg, store, table);
        double fullSecs = secs(f0);
        if (!full.succeeded() || full.upserted() != rows) {
            throw new IllegalStateException("full sync failed: " + full.toText());
        }
        double fullRate = rows / fullSecs;

        try (Connection c = server.connect(srcUrl); Statement st = c.createStatement()) {
            st.execute("UPDATE items SET name = name || ' v2', updated_at = now() WHERE id % " + (rows / 1000) + " = 0");
        }
        Thread.sleep(50);
        long i0 = System.nanoTime();
        SyncReport inc = run(srcCfg, dstCfg, store, table);
        double incSecs = secs(i0);
        if (!inc.succeeded() || inc.upserted() != 1000) {
            throw new IllegalStateException("incremental sync failed or read other than 1000 rows: " + inc.toText());
        }

        System.out.println();
        System.out.printf(Locale.ROOT, "%-58s %12s%n", "measurement", "rows/s");
        System.out.printf(Locale.ROOT, "%-58s %,12.0f%n", "raw COPY TO STDOUT, binary (no decoding)", rawBinary);
        System.out.printf(Locale.ROOT, "%-58s %,12.0f%n", "raw COPY TO STDOUT, text (no decoding)", rawText);
        System.out.printf(Locale.ROOT, "%-58s %,12.0f%n", "source readSnapshot, chunks of 10,000 (decoded events)", read10k);
        System.out.printf(Locale.ROOT, "%-58s %,12.0f%n", "source readSnapshot, chunks of 50,000 (decoded events)", read50k);
        System.out.printf(Locale.ROOT, "%-58s %,12.0f%n", "raw COPY FROM STDIN, text, into a table with primary key", rawIn);
        System.out.printf(Locale.ROOT, "%-58s %,12.0f%n", "full sync PostgreSQL -> PostgreSQL (engine, batches 10,000)", fullRate);
        System.out.println();
        System.out.printf(Locale.ROOT, "source read / faster raw COPY out      = %.2f (10k chunks), %.2f (50k chunks)   target >= 0.8%n",
                read10k / rawOut, read50k / rawOut);
        // psql's COPY TO STDOUT is the text format; the raw binary figure above decodes nothing at all
        System.out.printf(Locale.ROOT, "source read / raw text COPY out        = %.2f (10k chunks), %.2f (50k chunks)%n",
                read10k / rawText, read50k / rawText);
        System.out.printf(Locale.ROOT, "full sync / slower of raw out and in   = %.2f   target >= 0.5%n", fullRate / Math.min(rawOut, rawIn));
        System.out.printf(Locale.ROOT, "incremental sync of 1,000 changed rows = %.3f s   (full sync of %,d rows: %.1f s)%n",
                incSecs, rows, fullSecs);
    }

    private static Map<String, Object> config(PostgresServer server, String url) {
        Map<String, Object> m = new java.util.HashMap<>();
        m.put("url", url);
        if (server.username() != null) {
            m.put("user", server.username());
        }
        if (server.password() != null) {
            m.put("password", server.password());
        }
        return m;
    }

    private static SyncReport run(Map<String, Object> src, Map<String, Object> dst, CheckpointStore store, TableSync table) {
        Connectors connectors = Connectors.load();
        try (Source source = connectors.createSource("postgres", src); Sink sink = connectors.createSink("postgres", dst);
             SyncEngine engine = SyncEngine.builder().pipeline("bench").source(source).sink(sink).checkpointStore(store)
                     .table(table).readRows(Integer.getInteger("bench.readRows", 0))
                     .progressInterval(java.time.Duration.ofHours(1)).build()) {
            return engine.runOnce();
        }
    }

    private static double lastSeconds;

    private static long sourceRead(Map<String, Object> cfg, int chunk) {
        try (Source source = Connectors.load().createSource("postgres", cfg)) {
            TableSpec spec = TableSpec.of("public.items");
            TableSchema schema = source.describe(spec);
            long t = System.nanoTime();
            long n = 0;
            Position after = null;
            while (true) {
                Chunk c = source.readSnapshot(spec, schema, after, chunk);
                n += c.events().size();
                after = c.next();
                if (c.last()) {
                    break;
                }
            }
            lastSeconds = secs(t);
            return n;
        }
    }

    private static void rawCopyOut(PostgresServer server, String url, String format) {
        try (Connection c = server.connect(url)) {
            ((PGConnection) c.unwrap(PGConnection.class)).getCopyAPI().copyOut("COPY items TO STDOUT (FORMAT " + format + ")",
                    OutputStream.nullOutputStream());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] copyOutBytes(PostgresServer server, String url) throws Exception {
        try (Connection c = server.connect(url)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 27);
            ((PGConnection) c.unwrap(PGConnection.class)).getCopyAPI().copyOut("COPY items TO STDOUT", out);
            return out.toByteArray();
        }
    }

    /** Seconds for the COPY alone (the table is created before the clock starts). */
    private static double rawCopyIn(PostgresServer server, String url, byte[] data) {
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS raw_in");
            st.execute("CREATE TABLE raw_in (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), qty int,"
                    + " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, active boolean NOT NULL, note text)");
            long t = System.nanoTime();
            ((PGConnection) c.unwrap(PGConnection.class)).getCopyAPI().copyIn("COPY raw_in FROM STDIN", new java.io.ByteArrayInputStream(data));
            return secs(t);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Measure {
        double rate() throws Exception;
    }

    /** Best of two runs: the figures compare capabilities, not scheduling noise. */
    private static double best(Measure m) throws Exception {
        return Math.max(m.rate(), m.rate());
    }

    private interface Action {
        void run() throws Exception;
    }

    private static double timed(Action a) throws Exception {
        long t = System.nanoTime();
        a.run();
        return secs(t);
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
