package dev.dbsync.postgres.bench;

import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.testkit.PostgresServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Measures the PostgreSQL sink against raw {@code COPY … FROM STDIN} of the same rows, side by side in one run:
 * <ol>
 *   <li>an initial load into an empty table: raw COPY (text and binary, the bytes prepared before the clock starts)
 *       against the sink ({@code Sink.open} → {@code write} in batches of 10,000 → {@code flush}/{@code close}, the
 *       events built before the clock starts), and beside them raw binary COPY in parts of 10,000 rows, each
 *       committed, as the sink commits each batch;</li>
 *   <li>steady upserts into a loaded table (100k updates of existing keys, 20k inserts, 10k deletes, mixed) through
 *       the sink against the same work done by hand per batch of 10,000: COPY of the prepared rows into a staging
 *       table (text, and binary as the server writes it), {@code DELETE … USING} and
 *       {@code INSERT … SELECT … ON CONFLICT DO UPDATE}, one transaction.</li>
 * </ol>
 * Each table the sink wrote is compared row by row with its raw counterpart, so a fast but wrong sink fails the run.
 *
 * <p>Run from the repository root:
 * <pre>
 * mvn -q -o -pl sync-postgres test-compile exec:java -Dexec.mainClass=dev.dbsync.postgres.bench.SinkLoadBenchmark -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false
 * </pre>
 * Optional argument: the row count of the initial load (default 1000000).
 */
public final class SinkLoadBenchmark {

    private static final int BATCH = 10_000;
    private static final int ROUNDS = 3;
    private static final String DDL = " (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), qty integer,"
            + " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, active boolean NOT NULL, note text)";
    private static final TableSchema SCHEMA = schema("items_sink");

    private SinkLoadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        PostgresServer server = PostgresServer.get();
        String url = server.createDatabase("sinkload");
        Map<String, Object> cfg = new HashMap<>();
        cfg.put("url", url);
        if (server.username() != null) {
            cfg.put("user", server.username());
        }
        if (server.password() != null) {
            cfg.put("password", server.password());
        }

        long g0 = System.nanoTime();
        Instant base = Instant.parse("2026-01-01T00:00:00Z");
        List<Object[]> data = new ArrayList<>(rows);
        for (long i = 1; i <= rows; i++) {
            data.add(row(i, base, 0));
        }
        byte[] text = text(data);
        List<Batch> load = batches("items_sink", data);
        System.out.printf(Locale.ROOT, "%,d rows (%,d MB as COPY text) and their events built in %.1f s%n", rows,
                text.length >> 20, secs(g0));

        // warm-up: both paths once on a tenth of the rows, so the JIT has compiled them alike
        int warm = Math.max(1, rows / 10);
        rawCopy(server, url, "raw_text", "", firstLines(text, warm));
        sinkLoad(cfg, server, url, batches("items_sink", data.subList(0, warm)));

        rawCopy(server, url, "raw_text", "", text);
        byte[] binary = copyOut(server, url, "SELECT * FROM raw_text", "(FORMAT binary)");
        List<byte[]> binaryChunks = new ArrayList<>();
        for (int from = 1; from <= rows; from += BATCH) {
            binaryChunks.add(copyOut(server, url, "SELECT * FROM raw_text WHERE id BETWEEN " + from + " AND "
                    + (from + BATCH - 1) + " ORDER BY id", "(FORMAT binary)"));
        }
        // interleaved rounds: on a shared machine the load changes from one minute to the next, and each kind
        // should meet the same conditions
        double rawText = 0;
        double rawBinary = 0;
        double rawBinaryBatched = 0;
        double sink = 0;
        for (int round = 0; round < ROUNDS; round++) {
            rawText = Math.max(rawText, rows / rawCopy(server, url, "raw_text", "", text));
            rawBinary = Math.max(rawBinary, rows / rawCopy(server, url, "raw_binary", "(FORMAT binary)", binary));
            rawBinaryBatched = Math.max(rawBinaryBatched, rows / rawCopyBatched(server, url, binaryChunks));
            sink = Math.max(sink, rows / sinkLoad(cfg, server, url, load));
        }
        check(server, url, "raw_batched", "raw_text", rows);
        check(server, url, "items_sink", "raw_text", rows);
        check(server, url, "items_sink", "raw_binary", rows);

        // steady upserts: the same mixed changes, by the sink and by hand, each on a copy of the loaded table
        List<Object[]> changes = new ArrayList<>();
        List<long[]> keys = changes(rows, changes, base);
        List<Batch> upBatches = new ArrayList<>();
        List<byte[]> stagedText = new ArrayList<>();
        for (int from = 0; from < changes.size(); from += BATCH) {
            int to = Math.min(changes.size(), from + BATCH);
            List<ChangeEvent> events = new ArrayList<>(to - from);
            StringBuilder staged = new StringBuilder();
            for (int i = from; i < to; i++) {
                Object[] r = changes.get(i);
                long id = (Long) r[0];
                if (keys.get(i)[1] == 'D') {
                    events.add(ChangeEvent.delete("items_sink", new Object[] {id}, null, 0, Position.of(id)));
                    staged.append(id).append("\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tD\n");
                } else {
                    events.add(ChangeEvent.update("items_sink", new Object[] {id}, r, null, 0, Position.of(id)));
                    appendText(staged, r);
                    staged.setLength(staged.length() - 1);
                    staged.append("\tU\n");
                }
            }
            upBatches.add(Batch.of(SCHEMA, events));
            stagedText.add(staged.toString().getBytes(StandardCharsets.UTF_8));
        }
        List<byte[]> stagedBinary = binaryStaged(server, url, stagedText);
        double upRaw = Double.MAX_VALUE;
        double upRawBinary = Double.MAX_VALUE;
        double upSink = Double.MAX_VALUE;
        for (int round = 0; round < 2; round++) {
            resetUpsertTables(server, url);
            // alternate which goes first, so neither always meets the freshly copied table
            if (round == 0) {
                upRaw = Math.min(upRaw, rawUpserts(server, url, "up_raw", "", stagedText));
                upRawBinary = Math.min(upRawBinary, rawUpserts(server, url, "up_rawb", "(FORMAT binary)", stagedBinary));
                upSink = Math.min(upSink, sinkUpserts(cfg, upBatches));
            } else {
                upSink = Math.min(upSink, sinkUpserts(cfg, upBatches));
                upRawBinary = Math.min(upRawBinary, rawUpserts(server, url, "up_rawb", "(FORMAT binary)", stagedBinary));
                upRaw = Math.min(upRaw, rawUpserts(server, url, "up_raw", "", stagedText));
            }
            check(server, url, "items_sink", "up_raw", rows + 20_000 - 10_000);
            check(server, url, "items_sink", "up_rawb", rows + 20_000 - 10_000);
        }

        System.out.println();
        System.out.printf(Locale.ROOT, "machine: %d cores, load average %s; server: %s%n",
                Runtime.getRuntime().availableProcessors(), loadAverage(), server.kind());
        System.out.printf(Locale.ROOT, "%-58s %12s %8s%n", "initial load, " + String.format(Locale.ROOT, "%,d", rows)
                + " rows into an empty table", "rows/s", "ratio");
        System.out.printf(Locale.ROOT, "%-58s %,12.0f %8s%n", "raw COPY FROM STDIN, binary", rawBinary, "");
        System.out.printf(Locale.ROOT, "%-58s %,12.0f %8.2f%n", "raw binary COPY, a transaction per 10,000 rows (to raw binary)",
                rawBinaryBatched, rawBinaryBatched / rawBinary);
        System.out.printf(Locale.ROOT, "%-58s %,12.0f %8s%n", "raw COPY FROM STDIN, text", rawText, "");
        System.out.printf(Locale.ROOT, "%-58s %,12.0f %8.2f%n", "sink, batches of 10,000 (ratio to raw text)", sink,
                sink / rawText);
        System.out.printf(Locale.ROOT, "%-58s %12s %8.2f%n", "sink (ratio to raw binary)", "", sink / rawBinary);
        System.out.printf(Locale.ROOT, "%-58s %12s %8s%n", "steady upserts, 130,000 changes (100k upd, 20k ins, 10k del)",
                "changes/s", "ratio");
        System.out.printf(Locale.ROOT, "%-58s %,12.0f %8s%n", "by hand: binary staging COPY + DELETE + INSERT ON CONFLICT",
                changes.size() / upRawBinary, "");
        System.out.printf(Locale.ROOT, "%-58s %,12.0f %8s%n", "by hand: text staging COPY + DELETE + INSERT ON CONFLICT",
                changes.size() / upRaw, "");
        System.out.printf(Locale.ROOT, "%-58s %,12.0f %8.2f%n", "sink, batches of 10,000 (ratio to binary by hand)",
                changes.size() / upSink, upRawBinary / upSink);
        System.out.printf(Locale.ROOT, "%-58s %12s %8.2f%n", "sink (ratio to text by hand)", "", upRaw / upSink);
        System.out.println("(each load figure the best of " + ROUNDS + " interleaved runs, each upsert figure the best of two;"
                + " every sink table compared row by row with the raw one)");
    }

    private static TableSchema schema(String name) {
        return new TableSchema(name, List.of(Column.required("id", LogicalType.INT64), Column.required("name", LogicalType.STRING),
                Column.decimal("amount", 12, 2), Column.of("qty", LogicalType.INT32),
                Column.required("created_at", LogicalType.TIMESTAMP_TZ), Column.required("updated_at", LogicalType.TIMESTAMP_TZ),
                Column.required("active", LogicalType.BOOLEAN), Column.of("note", LogicalType.STRING)), List.of("id"));
    }

    /** One row like a typical business table's; {@code gen} changes the non-key values for updates. */
    private static Object[] row(long i, Instant base, int gen) {
        long g = i + gen * 7919L;
        return new Object[] {i, "item " + g, BigDecimal.valueOf(g % 100_000, 2), (int) (g % 1000),
                base.plusMillis(i), base.plusNanos(g * 10_000L), g % 7 != 0,
                g % 5 == 0 ? null : Long.toHexString(g * 0x9E3779B97F4A7C15L) + " note " + g + " \\ tab\there"};
    }

    private static List<Batch> batches(String table, List<Object[]> data) {
        List<Batch> out = new ArrayList<>();
        for (int from = 0; from < data.size(); from += BATCH) {
            List<ChangeEvent> events = new ArrayList<>(BATCH);
            for (Object[] r : data.subList(from, Math.min(data.size(), from + BATCH))) {
                events.add(ChangeEvent.read(table, new Object[] {r[0]}, r.clone(), 0, Position.of((Long) r[0])));
            }
            out.add(Batch.of(SCHEMA, events));
        }
        return out;
    }

    /**
     * 100k updates of existing keys, 10k deletes of other existing keys and 20k inserts of new keys, shuffled;
     * returns per change {key, 'U' or 'D'} and fills {@code rows} with the new row values.
     */
    private static List<long[]> changes(int existing, List<Object[]> rows, Instant base) {
        Random rnd = new Random(18);
        List<Long> picked = new ArrayList<>();
        java.util.Set<Long> seen = new java.util.HashSet<>();
        while (picked.size() < Math.min(110_000, existing)) {
            long k = 1 + rnd.nextInt(existing);
            if (seen.add(k)) {
                picked.add(k);
            }
        }
        List<long[]> ops = new ArrayList<>();
        for (int i = 0; i < picked.size(); i++) {
            ops.add(new long[] {picked.get(i), i < picked.size() - 10_000 ? 'U' : 'D'});
        }
        for (long k = existing + 1; k <= existing + 20_000; k++) {
            ops.add(new long[] {k, 'U'});
        }
        Collections.shuffle(ops, rnd);
        for (long[] op : ops) {
            rows.add(row(op[0], base, 1));
        }
        return ops;
    }

    private static void appendText(StringBuilder sb, Object[] r) {
        for (int c = 0; c < r.length; c++) {
            Object v = r[c];
            if (c > 0) {
                sb.append('\t');
            }
            if (v == null) {
                sb.append("\\N");
            } else if (v instanceof Boolean) {
                sb.append((Boolean) v ? 't' : 'f');
            } else if (v instanceof String) {
                String s = (String) v;
                for (int i = 0; i < s.length(); i++) {
                    char ch = s.charAt(i);
                    switch (ch) {
                        case '\\' -> sb.append("\\\\");
                        case '\t' -> sb.append("\\t");
                        case '\n' -> sb.append("\\n");
                        case '\r' -> sb.append("\\r");
                        default -> sb.append(ch);
                    }
                }
            } else {
                sb.append(v);
            }
        }
        sb.append('\n');
    }

    private static byte[] text(List<Object[]> data) {
        StringBuilder sb = new StringBuilder(data.size() * 160);
        for (Object[] r : data) {
            appendText(sb, r);
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Seconds for CREATE TABLE + COPY + commit of the prepared bytes into an empty table. */
    private static double rawCopy(PostgresServer server, String url, String table, String options, byte[] data) throws Exception {
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + table);
            long t = System.nanoTime();
            c.setAutoCommit(false);
            st.execute("CREATE TABLE " + table + DDL);
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + table + " FROM STDIN " + options,
                    new ByteArrayInputStream(data), 1 << 16);
            c.commit();
            return secs(t);
        }
    }

    /**
     * Seconds for the same binary rows COPYed in parts of 10,000, each in its own transaction, as the sink commits
     * each batch: what the batching itself costs, apart from the sink's work.
     */
    private static double rawCopyBatched(PostgresServer server, String url, List<byte[]> chunks) throws Exception {
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS raw_batched");
            st.execute("CREATE TABLE raw_batched" + DDL);
            c.setAutoCommit(false);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            long t = System.nanoTime();
            for (byte[] chunk : chunks) {
                copy.copyIn("COPY raw_batched FROM STDIN (FORMAT binary)", new ByteArrayInputStream(chunk), 1 << 16);
                c.commit();
            }
            return secs(t);
        }
    }

    private static byte[] copyOut(PostgresServer server, String url, String query, String options) throws Exception {
        try (Connection c = server.connect(url)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (" + query + ") TO STDOUT " + options, out);
            return out.toByteArray();
        }
    }

    /** Seconds from {@code Sink.open} (which creates the table) through the last batch to the writer's close. */
    private static double sinkLoad(Map<String, Object> cfg, PostgresServer server, String url, List<Batch> batches)
            throws Exception {
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS items_sink");
        }
        try (Sink sink = Connectors.load().createSink("postgres", cfg)) {
            long t = System.nanoTime();
            try (TableWriter w = sink.open(SCHEMA)) {
                for (Batch b : batches) {
                    w.write(b);
                }
                w.flush();
            }
            return secs(t);
        }
    }

    /** Two copies of the loaded table: items_sink for the sink, up_raw for the changes applied by hand. */
    private static void resetUpsertTables(PostgresServer server, String url) throws Exception {
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            for (String table : List.of("items_sink", "up_raw", "up_rawb")) {
                st.execute("DROP TABLE IF EXISTS " + table);
                st.execute("CREATE TABLE " + table + DDL);
                st.execute("INSERT INTO " + table + " SELECT * FROM raw_text");
                st.execute("VACUUM ANALYZE " + table);
            }
        }
    }

    /** The staged text rows of each batch in binary COPY format, made by the server from the text. */
    private static List<byte[]> binaryStaged(PostgresServer server, String url, List<byte[]> text) throws Exception {
        List<byte[]> out = new ArrayList<>();
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TEMP TABLE chg AS SELECT *, NULL::\"char\" AS op FROM raw_text WITH NO DATA");
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (byte[] b : text) {
                st.execute("TRUNCATE chg");
                copy.copyIn("COPY chg FROM STDIN", new ByteArrayInputStream(b), 1 << 16);
                ByteArrayOutputStream bin = new ByteArrayOutputStream(b.length);
                copy.copyOut("COPY chg TO STDOUT (FORMAT binary)", bin);
                out.add(bin.toByteArray());
            }
        }
        return out;
    }

    private static double rawUpserts(PostgresServer server, String url, String table, String options, List<byte[]> staged)
            throws Exception {
        String cols = "id, name, amount, qty, created_at, updated_at, active, note";
        try (Connection c = server.connect(url); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            st.execute("CREATE TEMP TABLE stage ON COMMIT DELETE ROWS AS SELECT *, NULL::\"char\" AS op FROM " + table
                    + " WITH NO DATA");
            c.commit();
            long t = System.nanoTime();
            for (byte[] b : staged) {
                copy.copyIn("COPY stage FROM STDIN " + options, new ByteArrayInputStream(b), 1 << 16);
                st.executeUpdate("DELETE FROM " + table + " t USING stage s WHERE t.id = s.id AND s.op = 'D'");
                st.executeUpdate("INSERT INTO " + table + " (" + cols + ") SELECT " + cols + " FROM stage WHERE op = 'U'"
                        + " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, amount = EXCLUDED.amount, qty = EXCLUDED.qty,"
                        + " created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, active = EXCLUDED.active,"
                        + " note = EXCLUDED.note");
                c.commit();
            }
            return secs(t);
        }
    }

    private static double sinkUpserts(Map<String, Object> cfg, List<Batch> batches) {
        try (Sink sink = Connectors.load().createSink("postgres", cfg)) {
            long t = System.nanoTime();
            try (TableWriter w = sink.open(SCHEMA)) {
                for (Batch b : batches) {
                    w.write(b);
                }
                w.flush();
            }
            return secs(t);
        }
    }

    /** Fails the run unless the two tables hold exactly the same rows. */
    private static void check(PostgresServer server, String url, String a, String b, long expected) throws Exception {
        try (Connection c = server.connect(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM " + a + "), (SELECT count(*) FROM (SELECT * FROM " + a
                     + " EXCEPT SELECT * FROM " + b + ") d) + (SELECT count(*) FROM (SELECT * FROM " + b + " EXCEPT SELECT * FROM "
                     + a + ") d)")) {
            rs.next();
            if (rs.getLong(1) != expected || rs.getLong(2) != 0) {
                throw new IllegalStateException(a + " holds " + rs.getLong(1) + " rows (expected " + expected + "), "
                        + rs.getLong(2) + " differ from " + b);
            }
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The first {@code lines} lines of COPY text. */
    private static byte[] firstLines(byte[] text, int lines) {
        int n = 0;
        for (int i = 0; i < text.length; i++) {
            if (text[i] == '\n' && ++n == lines) {
                return java.util.Arrays.copyOf(text, i + 1);
            }
        }
        return text;
    }
}
