package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.memory.MemorySource;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Sink} fulfils. A connector's test extends this class, says how to make a sink
 * against its real server, how to read a target table back, and which {@link Capability capabilities} it has;
 * the suite runs the tests for those capabilities.
 */
public abstract class SinkContractTest {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String RUN = Long.toString(System.currentTimeMillis() % 100_000, 36);
    private final List<Sink> opened = new ArrayList<>();

    /** A new sink connected to the test server; the suite closes it. */
    protected abstract Sink newSink();

    /** What the sink supports. */
    protected abstract Set<Capability> capabilities();

    /**
     * Every live row of the target table (deleted rows excluded), as column name → value converted back to the
     * documented Java types as far as the database allows.
     */
    protected abstract List<Map<String, Object>> readTarget(TableSchema target);

    /** A table name unique to this run, built from {@code base}. Override when the database limits names. */
    protected String tableName(String base) {
        return "ct_" + base + "_" + RUN + "_" + SEQ.incrementAndGet();
    }

    @AfterEach
    void closeSinks() {
        for (Sink s : opened) {
            s.close();
        }
        opened.clear();
    }

    private Sink sink() {
        Sink s = newSink();
        opened.add(s);
        return s;
    }

    private boolean has(Capability c) {
        return capabilities().contains(c);
    }

    private static final Instant T0 = Instant.parse("2024-05-06T07:08:09.123456Z");

    /** id BIGINT key, name TEXT, amount DECIMAL(12,2), updated_at TIMESTAMPTZ, is_deleted BOOLEAN. */
    protected static TableSchema simpleSchema(String name) {
        return new TableSchema(name, List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("name", LogicalType.STRING),
                Column.decimal("amount", 12, 2),
                Column.of("updated_at", LogicalType.TIMESTAMP_TZ),
                Column.of("is_deleted", LogicalType.BOOLEAN)), List.of("id"));
    }

    protected static List<Object> simpleRow(long id, String name) {
        return TestValues.row(id, name, new BigDecimal(id % 1000 + ".25"), T0.plusSeconds(id), false);
    }

    /** Versions grow with every event the suite makes, as a source's do. */
    private static final java.util.concurrent.atomic.AtomicLong VERSION = new java.util.concurrent.atomic.AtomicLong(1_000);

    protected static ChangeEvent up(TableSchema s, List<Object> row) {
        return up(s, row, VERSION.incrementAndGet());
    }

    protected static ChangeEvent up(TableSchema s, List<Object> row, long version) {
        int[] k = s.keyIndexes();
        Object[] key = new Object[k.length];
        for (int i = 0; i < k.length; i++) {
            key[i] = row.get(k[i]);
        }
        return ChangeEvent.upsert(s.name(), key, row.toArray(), version, Position.of(key));
    }

    protected static ChangeEvent del(TableSchema s, Object... key) {
        return ChangeEvent.delete(s.name(), key, null, VERSION.incrementAndGet(), Position.of(key));
    }

    private static WriteResult write(Sink sink, TableSchema s, List<ChangeEvent> events) {
        WriteResult r = sink.write(new Batch(s, events));
        sink.flush();
        return r;
    }

    /** Reads the target and checks it holds exactly {@code expected} (any order). */
    protected void assertTarget(TableSchema s, List<List<Object>> expected) {
        List<Map<String, Object>> actual = readTarget(s);
        assertEquals(expected.size(), actual.size(), "row count of target '" + s.name() + "'; rows: "
                + (actual.size() <= 10 ? actual : actual.subList(0, 10) + "…"));
        int[] k = s.keyIndexes();
        List<String> cols = s.columnNames();
        List<Map<String, Object>> unmatched = new ArrayList<>(actual);
        for (List<Object> row : expected) {
            Map<String, Object> found = null;
            for (Map<String, Object> a : unmatched) {
                boolean match = true;
                for (int i : k) {
                    match &= TestValues.same(row.get(i), a.get(cols.get(i)));
                }
                if (match) {
                    found = a;
                    break;
                }
            }
            if (found == null) {
                fail("target '" + s.name() + "' has no row with key " + keyOf(s, row) + "; rows: " + actual);
            }
            unmatched.remove(found);
            TestValues.assertRow("target '" + s.name() + "', key " + keyOf(s, row), cols, row, found);
        }
    }

    private static List<Object> keyOf(TableSchema s, List<Object> row) {
        List<Object> key = new ArrayList<>();
        for (int i : s.keyIndexes()) {
            key.add(row.get(i));
        }
        return key;
    }

    @Test
    void openCreatesTheTargetAndIsIdempotent() {
        if (!has(Capability.AUTO_CREATE)) {
            return;
        }
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("create"));
        sink.open(s);
        sink.open(s);
        assertTrue(readTarget(s).isEmpty(), "a new target is empty");
        write(sink, s, List.of(up(s, simpleRow(1, "a"))));
        sink.open(s);
        assertTarget(s, List.of(simpleRow(1, "a")));
    }

    @Test
    void theSameBatchTwiceGivesTheSameTarget() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("twice"));
        sink.open(s);
        List<ChangeEvent> batch = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 1; id <= 50; id++) {
            rows.add(simpleRow(id, "n" + id));
            batch.add(up(s, rows.get(rows.size() - 1)));
        }
        WriteResult first = write(sink, s, batch);
        assertEquals(50, first.upserted());
        write(sink, s, batch);
        assertTarget(s, rows);
    }

    @Test
    void anUpsertReplacesTheRow() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("update"));
        sink.open(s);
        write(sink, s, List.of(up(s, simpleRow(1, "old")), up(s, simpleRow(2, "two"))));
        List<Object> changed = TestValues.row(1L, "new", new BigDecimal("99.99"), T0.plusSeconds(3600), false);
        write(sink, s, List.of(up(s, changed)));
        assertTarget(s, List.of(changed, simpleRow(2, "two")));
    }

    @Test
    void theLastChangeOfAKeyInOneBatchWins() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("lastwins"));
        sink.open(s);
        List<ChangeEvent> batch = new ArrayList<>();
        batch.add(up(s, simpleRow(1, "v1")));
        batch.add(up(s, simpleRow(1, "v2")));
        batch.add(up(s, simpleRow(2, "two")));
        if (has(Capability.DELETE)) {
            batch.add(up(s, simpleRow(3, "three")));
            batch.add(del(s, 3L));
            batch.add(del(s, 2L));
            batch.add(up(s, simpleRow(2, "two again")));
        }
        write(sink, s, batch);
        assertTarget(s, List.of(simpleRow(1, "v2"), has(Capability.DELETE) ? simpleRow(2, "two again") : simpleRow(2, "two")));
    }

    @Test
    void deleteRemovesByKeyAndMissingKeysAreNoError() {
        if (!has(Capability.DELETE)) {
            return;
        }
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("delete"));
        sink.open(s);
        write(sink, s, List.of(up(s, simpleRow(1, "a")), up(s, simpleRow(2, "b")), up(s, simpleRow(3, "c"))));
        WriteResult r = write(sink, s, List.of(del(s, 2L), del(s, 404L)));
        assertTrue(r.failed().isEmpty(), "deleting a missing key is not a failure: " + r.failed());
        assertTarget(s, List.of(simpleRow(1, "a"), simpleRow(3, "c")));
        write(sink, s, List.of(del(s, 2L)));
        assertTarget(s, List.of(simpleRow(1, "a"), simpleRow(3, "c")));
    }

    @Test
    void truncateEmptiesTheTarget() {
        if (!has(Capability.TRUNCATE)) {
            return;
        }
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("truncate"));
        sink.open(s);
        write(sink, s, List.of(up(s, simpleRow(1, "a")), up(s, simpleRow(2, "b"))));
        sink.truncate(s);
        sink.flush();
        assertTarget(s, List.of());
        write(sink, s, List.of(up(s, simpleRow(3, "c"))));
        assertTarget(s, List.of(simpleRow(3, "c")));
    }

    @Test
    void aTruncateInsideABatchRemovesOnlyWhatCameBeforeIt() {
        if (!has(Capability.TRUNCATE)) {
            return;
        }
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("truncbatch"));
        sink.open(s);
        write(sink, s, List.of(up(s, simpleRow(1, "a"))));
        write(sink, s, List.of(up(s, simpleRow(2, "b")), ChangeEvent.truncate(s.name(), VERSION.incrementAndGet(), Position.of(0L)),
                up(s, simpleRow(3, "c"))));
        assertTarget(s, List.of(simpleRow(3, "c")));
    }

    @Test
    void aReplayedOlderChangeNeverWinsInAVersionedSink() {
        if (!has(Capability.VERSIONED)) {
            return;
        }
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("versions"));
        sink.open(s);
        write(sink, s, List.of(up(s, simpleRow(1, "newer"), 5_000_000L)));
        write(sink, s, List.of(up(s, simpleRow(1, "older"), 4_000_000L)));
        assertTarget(s, List.of(simpleRow(1, "newer")));
        write(sink, s, List.of(up(s, simpleRow(2, "kept"), -10L), up(s, simpleRow(2, "negative versions order too"), -5L)));
        assertTarget(s, List.of(simpleRow(1, "newer"), simpleRow(2, "negative versions order too")));
    }

    /** The schema with one column per logical type the sink declares. */
    protected TableSchema typesSchema(String name) {
        List<Column> cols = new ArrayList<>(List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("s", LogicalType.STRING),
                Column.of("i32", LogicalType.INT32),
                Column.of("i64", LogicalType.INT64),
                Column.decimal("dec", 18, 4),
                Column.of("f", LogicalType.FLOAT64),
                Column.of("b", LogicalType.BOOLEAN),
                Column.of("d", LogicalType.DATE),
                new Column("tstz", LogicalType.TIMESTAMP_TZ, true, 6, 0, null, null)));
        if (has(Capability.TIMESTAMP_NO_TZ)) {
            cols.add(new Column("ts", LogicalType.TIMESTAMP, true, 6, 0, null, null));
        }
        if (has(Capability.BINARY)) {
            cols.add(Column.of("bin", LogicalType.BYTES));
        }
        if (has(Capability.UUID)) {
            cols.add(Column.of("u", LogicalType.UUID));
        }
        if (has(Capability.JSON)) {
            cols.add(Column.of("j", LogicalType.JSON));
        }
        if (has(Capability.ARRAY)) {
            cols.add(Column.array("arr", LogicalType.STRING));
        }
        return new TableSchema(name, cols, List.of("id"));
    }

    private static Object sample(Column c, int variant) {
        switch (c.name()) {
            case "s": return variant == 0 ? "plain ascii" : "ünïcödé ✓ 日本語 \"quoted\" 'single' \\ back\ttab\nline";
            case "i32": return variant == 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE;
            case "i64": return variant == 0 ? Long.MAX_VALUE : Long.MIN_VALUE + 1;
            case "dec": return variant == 0 ? new BigDecimal("12345678901234.5678") : new BigDecimal("-0.0001");
            case "f": return variant == 0 ? 3.141592653589793 : -1.5e-300;
            case "b": return variant == 0;
            case "d": return variant == 0 ? LocalDate.of(2024, 2, 29) : LocalDate.of(1970, 1, 1);
            case "tstz": return variant == 0 ? Instant.parse("2024-02-29T23:59:59.999999Z") : Instant.parse("1999-12-31T12:00:00Z");
            case "ts": return variant == 0 ? LocalDateTime.of(2024, 2, 29, 23, 59, 59, 123_456_000) : LocalDateTime.of(2000, 1, 1, 0, 0);
            case "bin": return variant == 0 ? new byte[] {0, 1, 2, (byte) 0xff, 10, 13} : new byte[0];
            case "u": return variant == 0 ? UUID.fromString("123e4567-e89b-12d3-a456-426614174000") : new UUID(0, 1);
            case "j": {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", variant == 0 ? "drone" : "ünï");
                m.put("count", 3);
                m.put("tags", List.of("a", "b"));
                m.put("nested", Map.of("ok", true));
                return m;
            }
            case "arr": return variant == 0 ? List.of("x", "y z", "ü") : List.of();
            default: throw new IllegalArgumentException(c.name());
        }
    }

    @Test
    void nullsAndEveryDeclaredLogicalTypeRoundTrip() {
        Sink sink = sink();
        TableSchema s = typesSchema(tableName("types"));
        sink.open(s);
        List<List<Object>> rows = new ArrayList<>();
        for (int variant = 0; variant < 2; variant++) {
            List<Object> row = new ArrayList<>();
            for (Column c : s.columns()) {
                row.add(c.name().equals("id") ? (long) variant + 1 : sample(c, variant));
            }
            rows.add(row);
        }
        List<Object> nulls = new ArrayList<>();
        nulls.add(3L);
        for (int i = 1; i < s.columns().size(); i++) {
            nulls.add(null);
        }
        rows.add(nulls);
        List<ChangeEvent> batch = new ArrayList<>();
        rows.forEach(r -> batch.add(up(s, r)));
        WriteResult r = write(sink, s, batch);
        assertTrue(r.failed().isEmpty(), "no row rejected: " + r.failed());
        assertTarget(s, rows);
    }

    @Test
    void oddIdentifiersAreQuotedNotInjected() {
        if (!has(Capability.ODD_IDENTIFIERS)) {
            return;
        }
        Sink sink = sink();
        String table = tableName("Odd Tab\"le-ü; DROP TABLE x");
        TableSchema s = new TableSchema(table, List.of(
                Column.required("Order Id", LogicalType.INT64),
                Column.of("select", LogicalType.STRING),
                Column.of("we\"ird'); --", LogicalType.STRING),
                Column.of("Ünïcödé", LogicalType.INT32)), List.of("Order Id"));
        sink.open(s);
        List<Object> row = TestValues.row(1L, "from", "x'); DROP TABLE y; --", 7);
        write(sink, s, List.of(up(s, row)));
        assertTarget(s, List.of(row));
        if (has(Capability.DELETE)) {
            write(sink, s, List.of(del(s, 1L)));
            assertTarget(s, List.of());
        }
    }

    @Test
    void compositeKeys() {
        if (!has(Capability.COMPOSITE_KEY)) {
            return;
        }
        Sink sink = sink();
        TableSchema s = new TableSchema(tableName("composite"), List.of(
                Column.required("tenant", LogicalType.STRING),
                Column.required("id", LogicalType.INT64),
                Column.of("v", LogicalType.STRING)), List.of("tenant", "id"));
        sink.open(s);
        write(sink, s, List.of(up(s, TestValues.row("a", 1L, "a1")), up(s, TestValues.row("b", 1L, "b1")),
                up(s, TestValues.row("a", 2L, "a2"))));
        List<ChangeEvent> second = new ArrayList<>(List.of(up(s, TestValues.row("a", 1L, "a1 v2"))));
        if (has(Capability.DELETE)) {
            second.add(del(s, "b", 1L));
        }
        write(sink, s, second);
        List<List<Object>> expected = new ArrayList<>(List.of(TestValues.row("a", 1L, "a1 v2"), TestValues.row("a", 2L, "a2")));
        if (!has(Capability.DELETE)) {
            expected.add(TestValues.row("b", 1L, "b1"));
        }
        assertTarget(s, expected);
    }

    @Test
    void aTenThousandRowBatch() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("tenk"));
        sink.open(s);
        List<ChangeEvent> batch = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 1; id <= 10_000; id++) {
            List<Object> row = simpleRow(id, "row " + id);
            rows.add(row);
            batch.add(up(s, row));
        }
        WriteResult r = write(sink, s, batch);
        assertEquals(10_000, r.upserted());
        assertEquals(10_000, readTarget(s).size());
        assertTarget(s, rows);
    }

    /**
     * Runs the engine from an in-memory source into this sink, kills it at many points (before and after
     * writes, after flushes) and restarts it over the same checkpoint store; the target must end equal to the
     * source every time.
     */
    @Test
    void resumesAfterASimulatedCrashWithNothingLostOrDoubled() {
        TableSchema src = simpleSchema("crash_src");
        for (CrashPoint point : CrashPoint.values()) {
            for (int n : new int[] {1, 3}) {
                String target = tableName("crash_" + point.name().toLowerCase() + n);
                MemorySource source = new MemorySource();
                source.createTable(src);
                for (long id = 1; id <= 120; id++) {
                    source.upsert("crash_src", simpleRow(id, "r" + id).toArray());
                }
                CheckpointStore store = CheckpointStores.memory();
                TableSync table = TableSync.incremental(TableSpec.of("crash_src").withCursor("updated_at").withSoftDelete("is_deleted"))
                        .withTarget(target);
                Sink real = sink();
                CrashingSink crashing = new CrashingSink(real, point, n);
                SyncReport crashed = engine(source, crashing, store, table).runOnce();
                assertTrue(crashing.crashed(), "the crash at " + point + " " + n + " happened");
                assertFalse(crashed.succeeded(), "a crashed run reports failure");
                // Changes made while the pipeline was down.
                List<Object> changed = simpleRow(5, "changed while down");
                changed.set(3, T0.plusSeconds(90_000));
                source.upsert("crash_src", changed.toArray());
                if (has(Capability.DELETE)) {
                    List<Object> gone = simpleRow(7, "r7");
                    gone.set(4, true);
                    gone.set(3, T0.plusSeconds(100_000));
                    source.upsert("crash_src", gone.toArray());
                }
                source.upsert("crash_src", simpleRow(500, "new while down").toArray());
                // the restarted process has a new sink: whatever the crashed one held unflushed is gone
                SyncReport resumed = engine(source, sink(), store, table).runOnce();
                assertTrue(resumed.succeeded(), () -> "resumed run succeeds: " + resumed.toText());
                List<List<Object>> expected = new ArrayList<>();
                for (List<Object> row : source.rows("crash_src")) {
                    if (!Boolean.TRUE.equals(row.get(4))) {
                        expected.add(row);
                    }
                }
                assertTarget(simpleSchema(target), expected);
            }
        }
    }

    private static SyncEngine engine(MemorySource source, Sink sink, CheckpointStore store, TableSync table) {
        return SyncEngine.builder().pipeline("contract").source(source).sink(sink).checkpointStore(store)
                .table(table).batchRows(25).retryPolicy(dev.dbsync.engine.RetryPolicy.none()).build();
    }

    /** For subclasses: the list of values of one row, by column name order of {@code s}. */
    protected static List<Object> values(TableSchema s, Map<String, Object> row) {
        List<Object> out = new ArrayList<>();
        for (String c : s.columnNames()) {
            out.add(row.get(c));
        }
        return out;
    }

    /** For subclasses: a row built from alternating names and values. */
    protected static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static List<Object> list(Object... v) {
        return new ArrayList<>(Arrays.asList(v));
    }
}
