package dev.dbsync.crate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** What the contract suites do not cover, against a real CrateDB: failures of one writer, lost connections. */
class CrateWriterIT {

    private final CrateServer server = CrateServer.get();
    private final String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    private final CrateSettings settings = CrateSettings.sink(server.config("replicas", "0"));
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final CrateSink.Connector connector = () -> {
        Connection c = server.connect();
        connections.add(c);
        return c;
    };

    private static TableSchema schema(String name) {
        return new TableSchema(name, List.of(Column.required("id", LogicalType.INT64), Column.of("v", LogicalType.STRING),
                Column.of("big", LogicalType.INT64)), List.of("id"));
    }

    private static List<ChangeEvent> rows(String table, long from, long to) {
        List<ChangeEvent> out = new ArrayList<>();
        for (long id = from; id <= to; id++) {
            Object[] key = {id};
            out.add(ChangeEvent.read(table, key, new Object[] {id, "v" + id, id * 1000}, 0, Position.of(id)));
        }
        return out;
    }

    private long count(String table) throws SQLException {
        try (Connection c = server.connect(); Statement st = c.createStatement()) {
            st.execute("REFRESH TABLE doc.\"" + table + "\"");
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM doc.\"" + table + "\"")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** A connection lost under a writer is a transient failure; the same batch written again lands once. */
    @Test
    void aLostConnectionIsRetriableAndTheBatchLandsOnRetry() throws Exception {
        TableSchema s = schema("w_lost_" + run);
        try (CrateSink sink = new CrateSink(settings, connector); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, rows(s.name(), 1, 100)));
            for (Connection c : connections) {
                c.close(); // as if the node had dropped it
            }
            Batch again = Batch.of(s, rows(s.name(), 1, 300));
            RetriableException e = assertThrows(RetriableException.class, () -> w.write(again));
            assertTrue(e.getMessage().contains(s.name()), e.getMessage());
            WriteResult r = w.write(again);
            assertEquals(300, r.upserted());
            assertTrue(r.failed().isEmpty(), r.failed().toString());
            w.flush();
        }
        assertEquals(300, count(s.name()));
    }

    /**
     * Writers of two tables used from two threads: one table dropped under its writer fails that writer only;
     * the other writes, flushes and refreshes all its rows.
     */
    @Test
    void oneTablesFailureStaysWithItsWriter() throws Exception {
        TableSchema a = schema("w_a_" + run);
        TableSchema b = schema("w_b_" + run);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (CrateSink sink = new CrateSink(settings, connector)) {
            TableWriter wa = sink.open(a);
            TableWriter wb = sink.open(b);
            wa.write(Batch.of(a, rows(a.name(), 1, 10)));
            try (Connection c = server.connect(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE doc.\"" + a.name() + "\"");
            }
            Future<?> failing = pool.submit(() -> {
                wa.write(Batch.of(a, rows(a.name(), 11, 20)));
                wa.flush();
                return null;
            });
            Future<?> fine = pool.submit(() -> {
                for (long i = 0; i < 10; i++) {
                    wb.write(Batch.of(b, rows(b.name(), i * 500 + 1, i * 500 + 500)));
                    wb.flush();
                }
                return null;
            });
            fine.get();
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class, failing::get);
            assertTrue(e.getCause() instanceof SyncException && e.getCause().getMessage().contains(a.name()),
                    String.valueOf(e.getCause()));
            wb.close();
            try {
                wa.close();
            } catch (RuntimeException ignored) {
                // its table is gone
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(5000, count(b.name()));
    }

    /**
     * Refreshes are paced: with a long {@code refresh.interval} flushes send none and closing sends one; with
     * {@code 0s} every flush after a write refreshes. Counted in CrateDB's statement log ({@code sys.jobs_log}).
     */
    @Test
    void refreshesArePacedAndAlwaysSentAtClose() throws Exception {
        TableSchema paced = schema("w_paced_" + run);
        CrateSettings hour = CrateSettings.sink(server.config("replicas", "0", "refresh.interval", "1h"));
        try (CrateSink sink = new CrateSink(hour, connector); TableWriter w = sink.open(paced)) {
            for (int i = 0; i < 5; i++) {
                w.write(Batch.of(paced, rows(paced.name(), i * 10 + 1, i * 10 + 10)));
                w.flush();
            }
            assertEquals(0, refreshes(paced.name()), "no refresh before the interval passed");
        }
        assertEquals(1, refreshes(paced.name(), 1), "one refresh when the writer closed");

        TableSchema every = schema("w_every_" + run);
        CrateSettings zero = CrateSettings.sink(server.config("replicas", "0", "refresh.interval", "0s"));
        try (CrateSink sink = new CrateSink(zero, connector); TableWriter w = sink.open(every)) {
            for (int i = 0; i < 5; i++) {
                w.write(Batch.of(every, rows(every.name(), i * 10 + 1, i * 10 + 10)));
                w.flush();
            }
            w.flush(); // nothing written since the last refresh: none sent
            assertEquals(5, refreshes(every.name(), 5));
        }
        Thread.sleep(500); // a refresh sent at close would reach the log within this
        assertEquals(5, refreshes(every.name()), "nothing left to refresh at close");
    }

    /**
     * The refreshes of the table in CrateDB's statement log once it shows at least {@code expected} of them, or
     * what it shows after 10 s: a statement enters sys.jobs_log a moment after it finished.
     */
    private long refreshes(String table, long expected) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long n = refreshes(table);
        while (n < expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
            n = refreshes(table);
        }
        return n;
    }

    private long refreshes(String table) throws SQLException {
        try (Connection c = server.connect();
             var ps = c.prepareStatement("SELECT count(*) FROM sys.jobs_log WHERE stmt = ?")) {
            ps.setString(1, "REFRESH TABLE \"doc\".\"" + table + "\"");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** A BIGINT extreme fails its own row with CrateDB's range; the rest of the batch is written. */
    @Test
    void bigintExtremesFailTheirRowOnly() throws Exception {
        TableSchema s = schema("w_big_" + run);
        List<ChangeEvent> events = new ArrayList<>(rows(s.name(), 1, 5));
        events.add(ChangeEvent.read(s.name(), new Object[] {6L}, new Object[] {6L, "max", Long.MAX_VALUE}, 0, Position.of(6L)));
        events.add(ChangeEvent.read(s.name(), new Object[] {7L}, new Object[] {7L, "min", Long.MIN_VALUE}, 0, Position.of(7L)));
        events.add(ChangeEvent.read(s.name(), new Object[] {8L}, new Object[] {8L, "edge", Long.MAX_VALUE - 1}, 0, Position.of(8L)));
        try (CrateSink sink = new CrateSink(settings, connector); TableWriter w = sink.open(s)) {
            WriteResult r = w.write(Batch.of(s, events));
            assertEquals(6, r.upserted());
            assertEquals(List.of(6L, 7L), r.failed().stream().map(f -> f.event().key().get(0)).toList());
            assertTrue(r.failed().get(0).reason().contains("BIGINT range"), r.failed().get(0).reason());
        }
        assertEquals(6, count(s.name()));
    }

    /**
     * A dynamic OBJECT column takes the type of a key from its first value; a later document whose value of that
     * key cannot be cast (the common failure of CrateDB sinks) fails its row alone, with CrateDB's reason, and
     * new keys are still added.
     */
    @Test
    void aDocumentThatContradictsTheObjectsInferredTypesFailsAlone() throws Exception {
        TableSchema s = new TableSchema("w_obj_" + run, List.of(Column.required("id", LogicalType.INT64),
                Column.of("doc", LogicalType.JSON)), List.of("id"));
        try (CrateSink sink = new CrateSink(settings, connector); TableWriter w = sink.open(s)) {
            WriteResult first = w.write(Batch.of(s, List.of(doc(s, 1, Map.of("n", 1, "tag", "a")))));
            assertTrue(first.failed().isEmpty(), first.failed().toString());
            WriteResult second = w.write(Batch.of(s, List.of(doc(s, 2, Map.of("n", "not a number")),
                    doc(s, 3, Map.of("n", 3, "added", true)), doc(s, 4, Map.of("tag", "b")))));
            assertEquals(2, second.upserted());
            assertEquals(1, second.failed().size(), second.failed().toString());
            assertEquals(2L, second.failed().get(0).event().key().get(0));
            assertTrue(second.failed().get(0).reason().contains("Cannot cast"), second.failed().get(0).reason());
        }
        assertEquals(3, count(s.name()));
    }

    private static ChangeEvent doc(TableSchema s, long id, Map<String, Object> doc) {
        return ChangeEvent.read(s.name(), new Object[] {id}, new Object[] {id, doc}, 0, Position.of(id));
    }

    /** A number cursor has no safe bound: refused unless the user opts in, naming the setting. */
    @Test
    void numberCursorsNeedTheOptIn() throws Exception {
        TableSchema s = schema("w_cursor_" + run);
        try (CrateSink sink = new CrateSink(settings, connector); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, rows(s.name(), 1, 3)));
        }
        TableSpec spec = TableSpec.of("doc." + s.name()).withCursor("big");
        CrateSourceFactory f = new CrateSourceFactory();
        try (var source = f.create(f.configDef().parse(server.config()))) {
            TableSchema described = source.describe(spec);
            ConfigException e = assertThrows(ConfigException.class, () -> source.readChanges(spec, described, null, 10));
            assertEquals(CrateSettings.INCREMENTAL_ALLOW_UNSAFE_CURSOR, e.key());
        }
        try (var source = f.create(f.configDef().parse(server.config("incremental.allow.unsafe.cursor", "true")))) {
            TableSchema described = source.describe(spec);
            assertEquals(3, source.readChanges(spec, described, null, 10).events().size());
        }
    }
}
