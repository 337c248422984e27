package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Snapshots read by several readers at once: the key ranges really split, every row comes exactly once in key
 * order, a resumed read starts after its key, the whole table is one moment of the database, and sessions
 * release their connections, transactions and threads.
 */
class ParallelSnapshotIT {

    private static final PgTestDb DB = PgTestDb.create("parsnap");
    private static final int ROWS = 20_000;
    /** About 40 ranges for the 20,000-row table (~1.6 MB). */
    private static final SnapshotSession.Options SMALL_RANGES = new SnapshotSession.Options(3, 40_000, Duration.ofSeconds(60));

    private final List<PostgresSource> sources = new ArrayList<>();

    @BeforeAll
    static void tables() {
        DB.exec("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2))",
                "INSERT INTO items SELECT g, 'item ' || g || repeat('x', 40), g / 100.0 FROM generate_series(1, " + ROWS + ") g",
                "UPDATE items SET amount = 'NaN' WHERE id = 7777",
                "CREATE TABLE regions (region text, n int, note text, PRIMARY KEY (region, n))",
                // text keys with spaces, quotes, case and non-ASCII letters, many rows per region
                "INSERT INTO regions SELECT r, g, repeat('y', 60) FROM unnest(ARRAY['a', 'A b', 'o''brien', 'zürich', 'Ärhus',"
                        + " 'x y z', 'm', 'M', '日本', '']) r, generate_series(1, 2000) g",
                "VACUUM ANALYZE items", "VACUUM ANALYZE regions");
    }

    @AfterEach
    void closeSources() {
        sources.forEach(PostgresSource::close);
        sources.clear();
    }

    private PostgresSource source(SnapshotSession.Options options) {
        PostgresSource s = new PostgresSource(DB.factory(), options);
        sources.add(s);
        return s;
    }

    /** Reads the whole snapshot after {@code after} in chunks; failed rows are added to {@code failed}. */
    private static List<ChangeEvent> readAll(PostgresSource s, TableSpec spec, TableSchema schema, Position after, int chunk,
                                             List<WriteResult.FailedEvent> failed, int[] maxRanges) {
        List<ChangeEvent> out = new ArrayList<>();
        while (true) {
            Chunk c = s.readSnapshot(spec, schema, after, chunk);
            assertTrue(c.events().size() + c.failed().size() <= chunk);
            SnapshotSession session = s.session(spec);
            if (session != null && maxRanges != null) {
                maxRanges[0] = Math.max(maxRanges[0], session.rangeCount());
            }
            out.addAll(c.events());
            failed.addAll(c.failed());
            if (c.next() != null) {
                after = c.next();
            }
            if (c.last()) {
                return out;
            }
        }
    }

    @Test
    void twoReadersOfOneTableAtOnceEachKeepTheirSessionAndGetEveryRowOnce() throws Exception {
        // e.g. a sink added to a pipeline snapshotted on its own while the pipeline's run snapshots the same table
        PostgresSource s = source(SMALL_RANGES);
        TableSpec spec = TableSpec.of("public.items");
        TableSchema schema = s.describe(spec);
        Position[] after = new Position[2];
        boolean[] done = new boolean[2];
        List<List<Long>> keys = List.of(new ArrayList<>(), new ArrayList<>());
        long opened = s.sessionsOpened();
        int turn = 0;
        while (!done[0] || !done[1]) {
            int r = done[turn % 2] ? (turn + 1) % 2 : turn % 2;
            // the second reader starts a few chunks after the first, at another key
            Chunk c = s.readSnapshot(spec, schema, after[r], r == 0 ? 700 : 1_100);
            List<Long> chunk = new ArrayList<>();
            for (ChangeEvent e : c.events()) {
                chunk.add((Long) e.key().get(0));
            }
            for (WriteResult.FailedEvent f : c.failed()) {
                chunk.add((Long) f.event().key().get(0)); // the unreadable row, in its place
            }
            java.util.Collections.sort(chunk);
            keys.get(r).addAll(chunk);
            after[r] = c.next() == null ? after[r] : c.next();
            done[r] = c.last();
            turn++;
        }
        for (List<Long> k : keys) {
            assertEquals(ROWS, k.size());
            for (int i = 0; i < k.size(); i++) {
                assertEquals(i + 1L, k.get(i), "every row once, in key order");
            }
        }
        assertEquals(2, s.sessionsOpened() - opened, "one session per reader, not one per turn");
        assertNull(s.session(spec), "both sessions end with their snapshots");
        assertReleased(false);
    }

    @Test
    void rangesSplitAndEveryRowComesOnceInKeyOrder() throws Exception {
        PostgresSource s = source(SMALL_RANGES);
        TableSpec spec = TableSpec.of("public.items");
        TableSchema schema = s.describe(spec);
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        int[] ranges = {0};
        List<ChangeEvent> events = readAll(s, spec, schema, null, 1_000, failed, ranges);
        assertTrue(ranges[0] > 10, "a 20,000-row table in ~40 kB ranges is split; ranges: " + ranges[0]);
        // the row with a NaN amount is a failed row naming the key and the column, in its place in the order
        assertEquals(1, failed.size());
        assertEquals(List.of(7777L), failed.get(0).event().key());
        assertTrue(failed.get(0).reason().contains("amount") && failed.get(0).reason().contains("NaN"), failed.get(0).reason());
        assertEquals(ROWS - 1, events.size());
        long expected = 1;
        for (ChangeEvent e : events) {
            if (expected == 7777) {
                expected++;
            }
            assertEquals(expected, e.key().get(0));
            assertEquals("item " + expected + "x".repeat(40), e.values().get(1));
            expected++;
        }
        assertNull(s.session(spec), "the session ends with the snapshot");
        assertReleased(false);
    }

    @Test
    void compositeTextKeysComeOnceInTheDatabaseOrderAndResumeMidway() throws Exception {
        PostgresSource s = source(new SnapshotSession.Options(4, 20_000, Duration.ofSeconds(60)));
        TableSpec spec = TableSpec.of("public.regions");
        TableSchema schema = s.describe(spec);
        List<List<Object>> expected = new ArrayList<>();
        try (Connection c = DB.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT region, n FROM regions ORDER BY region, n")) {
            while (rs.next()) {
                expected.add(List.of(rs.getString(1), rs.getInt(2)));
            }
        }
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        int[] ranges = {0};
        List<ChangeEvent> all = readAll(s, spec, schema, null, 777, failed, ranges);
        assertTrue(ranges[0] > 5, "ranges: " + ranges[0]);
        assertEquals(expected, keys(all));

        // resume after a key in the middle (a range boundary is unlikely to fall exactly there): only what follows
        int mid = 12_345;
        Position after = all.get(mid).position();
        PostgresSource resumed = source(new SnapshotSession.Options(4, 20_000, Duration.ofSeconds(60)));
        List<ChangeEvent> rest = readAll(resumed, spec, schema, after, 1_000, failed, null);
        assertEquals(expected.subList(mid + 1, expected.size()), keys(rest));
        assertTrue(failed.isEmpty());
    }

    private static List<List<Object>> keys(List<ChangeEvent> events) {
        List<List<Object>> out = new ArrayList<>();
        for (ChangeEvent e : events) {
            out.add(e.key());
        }
        return out;
    }

    @Test
    void aParallelSnapshotIsOneMomentOfTheDatabase() throws Exception {
        DB.exec("DROP TABLE IF EXISTS moment", "CREATE TABLE moment (id bigint PRIMARY KEY, name text NOT NULL)",
                "INSERT INTO moment SELECT g, 'before ' || g || repeat('z', 40) FROM generate_series(1, " + ROWS + ") g",
                "ANALYZE moment");
        PostgresSource s = source(new SnapshotSession.Options(2, 20_000, Duration.ofSeconds(60)));
        TableSpec spec = TableSpec.of("public.moment");
        TableSchema schema = s.describe(spec);
        Chunk first = s.readSnapshot(spec, schema, null, 500);
        SnapshotSession session = s.session(spec);
        assertNotNull(session);
        assertTrue(session.rangeCount() > 20, "ranges: " + session.rangeCount());
        // at most readers + 1 ranges (~300 rows each) are read ahead; the rows changed here are far beyond them
        DB.exec("UPDATE moment SET name = 'after' WHERE id > " + (ROWS - 5_000) + " AND id % 2 = 0",
                "DELETE FROM moment WHERE id > " + (ROWS - 5_000) + " AND id % 3 = 0",
                "INSERT INTO moment SELECT g, 'after' FROM generate_series(" + (ROWS + 1) + ", " + (ROWS + 1_000) + ") g");
        List<ChangeEvent> all = new ArrayList<>(first.events());
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        all.addAll(readAll(s, spec, schema, first.next(), 1_000, failed, null));
        assertEquals(ROWS, all.size(), "exactly the rows of the moment the snapshot began: no inserted row, no deleted one missing");
        for (int i = 0; i < all.size(); i++) {
            ChangeEvent e = all.get(i);
            assertEquals((long) i + 1, e.key().get(0));
            assertEquals("before " + (i + 1) + "z".repeat(40), e.values().get(1), "row " + (i + 1) + " as it was");
        }
        assertTrue(failed.isEmpty());
    }

    @Test
    void everyReaderReadsTheMomentTheSnapshotWasExportedAt() throws Exception {
        DB.exec("DROP TABLE IF EXISTS exported", "CREATE TABLE exported (id bigint PRIMARY KEY, name text NOT NULL)",
                "INSERT INTO exported SELECT g, 'before' FROM generate_series(1, 5000) g", "ANALYZE exported");
        PostgresSource s = source(new SnapshotSession.Options(3, 20_000, Duration.ofSeconds(60)));
        TableSpec spec = TableSpec.of("public.exported");
        TableSchema schema = s.describe(spec);
        // committed after the export and before any reader began: a reader with a snapshot of its own would see it
        SnapshotSession.afterExport = () -> DB.exec("UPDATE exported SET name = 'after'",
                "INSERT INTO exported SELECT g, 'after' FROM generate_series(5001, 6000) g");
        List<ChangeEvent> all;
        try {
            all = readAll(s, spec, schema, null, 1_000, new ArrayList<>(), null);
        } finally {
            SnapshotSession.afterExport = null;
        }
        assertEquals(5000, all.size());
        assertTrue(all.stream().allMatch(e -> "before".equals(e.values().get(1))), "only rows as of the export");
        assertEquals(1000, DB.count("SELECT count(*) FROM exported WHERE id > 5000"), "the change was committed");
    }

    @Test
    void wideRowsAreBufferedWithinTheByteBound() throws Exception {
        // 64 kB per row on the wire, compressed to a few hundred bytes on disk: ranges sized from the table's bytes
        // hold ~5 MB of COPY data each, so only the byte bound keeps the buffers small
        DB.exec("DROP TABLE IF EXISTS wide", "CREATE TABLE wide (id int PRIMARY KEY, body text NOT NULL)",
                "INSERT INTO wide SELECT g, repeat(md5(g::text), 2000) FROM generate_series(1, 600) g", "ANALYZE wide");
        PostgresSource s = source(new SnapshotSession.Options(3, 64 << 10, Duration.ofSeconds(60)));
        TableSpec spec = TableSpec.of("public.wide");
        TableSchema schema = s.describe(spec);
        Position after = null;
        long maxBuffered = 0;
        long limit = 0;
        int rows = 0;
        while (true) {
            Chunk c = s.readSnapshot(spec, schema, after, 20);
            SnapshotSession session = s.session(spec);
            if (session != null) {
                Thread.sleep(30); // a slow consumer: the readers run ahead until their buffers are full
                maxBuffered = Math.max(maxBuffered, session.bufferedBytes());
                limit = session.bufferLimit();
                assertTrue(session.rangeCount() > 3, "ranges: " + session.rangeCount());
            }
            rows += c.events().size();
            after = c.next();
            if (c.last()) {
                break;
            }
        }
        assertEquals(600, rows);
        // one block (256 kB and the row that filled it) may go beyond each range's share
        long slack = 4L * ((256 << 10) + 70_000);
        assertTrue(maxBuffered > 256 << 10, "the readers ran ahead: " + maxBuffered);
        assertTrue(maxBuffered <= limit + slack, maxBuffered + " buffered, bound " + limit);
        assertTrue(limit + slack < 8L << 20, "far below the table's 38 MB: " + limit);
    }

    @Test
    void partitionedTablesSplitAndViewsAreReadWhole() throws Exception {
        DB.exec("DROP TABLE IF EXISTS parted CASCADE",
                "CREATE TABLE parted (id bigint PRIMARY KEY, name text NOT NULL) PARTITION BY RANGE (id)",
                "CREATE TABLE parted_a PARTITION OF parted FOR VALUES FROM (MINVALUE) TO (5000)",
                "CREATE TABLE parted_b PARTITION OF parted FOR VALUES FROM (5000) TO (MAXVALUE)",
                "INSERT INTO parted SELECT g, 'p' || g || repeat('q', 50) FROM generate_series(1, 10000) g",
                "ANALYZE parted", "CREATE VIEW parted_view AS SELECT id, name FROM parted WHERE id % 2 = 0");
        PostgresSource s = source(new SnapshotSession.Options(3, 40_000, Duration.ofSeconds(60)));
        TableSpec spec = TableSpec.of("public.parted");
        int[] ranges = {0};
        List<ChangeEvent> all = readAll(s, spec, s.describe(spec), null, 1_000, new ArrayList<>(), ranges);
        assertTrue(ranges[0] > 5, "ranges: " + ranges[0]);
        assertEquals(10_000, all.size());
        for (int i = 0; i < all.size(); i++) {
            assertEquals((long) i + 1, all.get(i).key().get(0));
        }
        TableSpec view = TableSpec.of("public.parted_view").withKey("id");
        ranges[0] = 0;
        List<ChangeEvent> even = readAll(s, view, s.describe(view), null, 1_000, new ArrayList<>(), ranges);
        assertEquals(1, ranges[0], "a view is one range");
        assertEquals(5_000, even.size());
        assertEquals(10_000L, even.get(even.size() - 1).key().get(0));
    }

    @Test
    void readersThatCannotConnectLeaveTheOthersToReadEverything() throws Exception {
        PostgresServer server = PostgresServer.get();
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        PgConnectionFactory limited = new PgConnectionFactory(DB.url, server.username(), server.password()) {
            @Override
            Connection open() {
                if (opened.incrementAndGet() > 2) {
                    throw new RetriableException("too many connections (test)", null);
                }
                return super.open();
            }
        };
        PostgresSource s = new PostgresSource(limited, SMALL_RANGES);
        sources.add(s);
        TableSpec spec = TableSpec.of("public.items");
        TableSchema schema = s.describe(spec);
        Chunk first = s.readSnapshot(spec, schema, null, 100);
        assertEquals(1, s.session(spec).readerCount(), "the coordinator and one reader connected, the rest could not");
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        List<ChangeEvent> rest = readAll(s, spec, schema, first.next(), 5_000, failed, null);
        assertEquals(ROWS - 1, first.events().size() + rest.size());
        assertEquals((long) ROWS, rest.get(rest.size() - 1).key().get(0));
    }

    @Test
    void closeMidSnapshotReleasesConnectionsTransactionsAndThreads() throws Exception {
        PostgresSource s = source(SMALL_RANGES);
        TableSpec spec = TableSpec.of("public.items");
        TableSchema schema = s.describe(spec);
        s.readSnapshot(spec, schema, null, 100);
        assertEquals(3, s.session(spec).readerCount());
        waitFor(() -> inTransaction() == 3, "three readers holding the snapshot");
        assertTrue(readerThreads() > 0);
        s.close();
        assertEquals(0, readerThreads(), "no reader thread outlives close()");
        assertReleased(true);
    }

    @Test
    void anIdleSessionEndsItselfAndTheNextReadContinues() throws Exception {
        PostgresSource s = source(new SnapshotSession.Options(3, 40_000, Duration.ofMillis(500)));
        TableSpec spec = TableSpec.of("public.items");
        TableSchema schema = s.describe(spec);
        Chunk first = s.readSnapshot(spec, schema, null, 100);
        SnapshotSession session = s.session(spec);
        waitFor(() -> session.endReason() != null, "the idle session to end");
        assertTrue(session.endReason().startsWith("idle"), session.endReason());
        waitFor(() -> readerThreads() == 0 && inTransaction() == 0, "readers gone, transactions ended");
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        List<ChangeEvent> rest = readAll(s, spec, schema, first.next(), 5_000, failed, null);
        assertEquals(ROWS - 100 - 1, rest.size());
        assertEquals(101L, rest.get(0).key().get(0));
        assertEquals(1, failed.size());
    }

    @Test
    void aReaderLosingItsConnectionFailsTheReadRetriablyAndARetryReadsOn() throws Exception {
        PostgresSource s = source(new SnapshotSession.Options(3, 40_000, Duration.ofSeconds(60)));
        TableSpec spec = TableSpec.of("public.items");
        TableSchema schema = s.describe(spec);
        Chunk first = s.readSnapshot(spec, schema, null, 100);
        waitFor(() -> inTransaction() == 3, "three readers holding the snapshot");
        try (Connection c = DB.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL");
        }
        RetriableException e = assertThrows(RetriableException.class, () -> {
            Position after = first.next();
            while (true) {
                Chunk c = s.readSnapshot(spec, schema, after, 1_000);
                after = c.next();
                assertFalse(c.last(), "the snapshot cannot complete without its readers");
            }
        });
        assertTrue(e.getMessage().contains("items"), e.getMessage());
        assertNull(s.session(spec), "a failed session is dropped");
        assertEquals(0, readerThreads());
        // the engine retries from the last position it was handed: a new session reads on from there
        List<ChangeEvent> rest = readAll(s, spec, schema, first.next(), 5_000, new ArrayList<>(), null);
        assertEquals(101L, rest.get(0).key().get(0));
        assertEquals(ROWS - 100 - 1, rest.size());
    }

    /** No connection of the source left in a transaction; with {@code none}, none left at all. */
    private static void assertReleased(boolean none) throws Exception {
        waitFor(() -> inTransaction() == 0, "no connection of the source in a transaction");
        if (none) {
            waitFor(() -> backends() == 0, "every connection of the source closed");
        }
    }

    private static long inTransaction() {
        // a reader waiting for buffer room keeps its COPY open ('active'), one waiting for a range is 'idle in transaction'
        return DB.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                + " AND xact_start IS NOT NULL");
    }

    private static long backends() {
        return DB.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                + "");
    }

    private static List<String> activity() {
        List<String> out = new ArrayList<>();
        try (Connection c = DB.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT application_name, state, xact_start IS NOT NULL, left(query, 60)"
                     + " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
            while (rs.next()) {
                out.add(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getBoolean(3) + "/" + rs.getString(4));
            }
        } catch (SQLException e) {
            out.add(e.toString());
        }
        return out;
    }

    private static long readerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("dbsync-snapshot-")).count();
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; sessions: " + activity());
            }
            Thread.sleep(20);
        }
    }
}
