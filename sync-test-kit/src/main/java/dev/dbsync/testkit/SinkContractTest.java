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
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.memory.MemorySource;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * The contract every {@link Sink} fulfils. A connector's test extends this class and says how to make a sink
 * against its real server and how to read a target table back. The suite asks the sink itself what it can do
 * ({@link Sink#capabilities()}, {@link Sink#supportedTypes()}, {@link Sink#refuses}) and generates exactly the
 * tests those call for: a test ruled out by a capability is not generated at all (it neither runs nor counts as
 * passed).
 */
public abstract class SinkContractTest {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String RUN = Long.toString(System.currentTimeMillis() % 100_000, 36);
    private final List<Sink> opened = new ArrayList<>();
    private final List<TableWriter> writers = new ArrayList<>();
    private Set<SinkCapability> capabilities;
    private Set<LogicalType> types;
    private Sink probe;

    /** A new sink connected to the test server; the suite closes it. */
    protected abstract Sink newSink();

    /**
     * How the sink's documented mapping stores {@code value} of {@code column}, as {@link #readTarget} returns it
     * (e.g. a NULL array stored as an empty one, a DATE kept as the timestamp at midnight). Default: what the sink
     * itself declares ({@link Sink#storedForm}), which is where a connector should say it; overriding this is
     * only for a form {@link #readTarget} adds on top.
     */
    protected Object storedForm(Column column, Object value) {
        learn();
        return probe.storedForm(column, value);
    }

    /**
     * The base of the odd table name of {@link #oddIdentifiers} (spaces, quotes, a hyphen, non-ASCII, SQL
     * injection). A database whose identifiers cannot hold some of these overrides it with what it can hold, and
     * its README says so.
     */
    protected String oddTableBase() {
        return "Odd Tab\"le-ü; DROP TABLE x";
    }

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
        for (TableWriter w : writers) {
            w.close();
        }
        writers.clear();
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

    /** Opens {@code schema} on {@code sink}; the suite closes the writer after the test. */
    private TableWriter open(Sink sink, TableSchema schema) {
        TableWriter w = sink.open(schema);
        writers.add(w);
        return w;
    }

    /** Asks a sink what it can do, once per suite instance, before the tests are generated. */
    private void learn() {
        if (capabilities == null) {
            Sink s = newSink();
            try {
                capabilities = Set.copyOf(s.capabilities());
                types = Set.copyOf(s.supportedTypes());
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
            probe = s;
            opened.add(s);
        }
    }

    private boolean has(SinkCapability c) {
        learn();
        return capabilities.contains(c);
    }

    private boolean supports(LogicalType t) {
        learn();
        return types.contains(t);
    }

    /**
     * The contract's tests for this sink: the ones every sink must pass, and those its capabilities call for.
     */
    @TestFactory
    Stream<DynamicTest> contract() {
        learn();
        List<DynamicTest> tests = new ArrayList<>();
        add(tests, "theSameBatchTwiceGivesTheSameTarget", this::theSameBatchTwiceGivesTheSameTarget);
        add(tests, "anUpsertReplacesTheRow", this::anUpsertReplacesTheRow);
        add(tests, "theLastChangeOfAKeyInOneBatchWins", this::theLastChangeOfAKeyInOneBatchWins);
        add(tests, "nullsAndEverySupportedLogicalTypeRoundTrip", this::nullsAndEverySupportedLogicalTypeRoundTrip);
        add(tests, "valuesOutsideTheDeclaredRangesFailTheirRowAlone", this::valuesOutsideTheDeclaredRangesFailTheirRowAlone);
        add(tests, "oddIdentifiersAreQuotedNotInjected", this::oddIdentifiersAreQuotedNotInjected);
        add(tests, "compositeKeys", this::compositeKeys);
        add(tests, "aTenThousandRowBatch", this::aTenThousandRowBatch);
        add(tests, "closingAWriterKeepsWhatItBuffered", this::closingAWriterKeepsWhatItBuffered);
        add(tests, "writersOfTwoTablesDoNotFlushEachOther", this::writersOfTwoTablesDoNotFlushEachOther);
        add(tests, "resumesAfterASimulatedCrashWithNothingLostOrDoubled", this::resumesAfterASimulatedCrashWithNothingLostOrDoubled);
        if (has(SinkCapability.AUTO_CREATE)) {
            add(tests, "openCreatesTheTargetAndIsIdempotent", this::openCreatesTheTargetAndIsIdempotent);
        }
        if (has(SinkCapability.DELETE)) {
            add(tests, "deleteRemovesByKeyAndMissingKeysAreNoError", this::deleteRemovesByKeyAndMissingKeysAreNoError);
            add(tests, "deletesAndReinsertsInOneBatchKeepTheirOrder", this::deletesAndReinsertsInOneBatchKeepTheirOrder);
        }
        if (has(SinkCapability.TRUNCATE)) {
            add(tests, "truncateEmptiesTheTarget", this::truncateEmptiesTheTarget);
            add(tests, "truncateKeepsNothingWrittenBeforeIt", this::truncateKeepsNothingWrittenBeforeIt);
        }
        if (has(SinkCapability.VERSIONED)) {
            add(tests, "aReplayedOlderChangeNeverWinsInAVersionedSink", this::aReplayedOlderChangeNeverWinsInAVersionedSink);
        }
        if (has(SinkCapability.REPLACE)) {
            add(tests, "aReplacementIsLoadedAsideAndSwappedInWhole", this::aReplacementIsLoadedAsideAndSwappedInWhole);
        }
        return tests.stream();
    }

    private void add(List<DynamicTest> tests, String name, Executable body) {
        tests.add(DynamicTest.dynamicTest(name, () -> {
            try {
                body.execute();
            } finally {
                closeSinks();
            }
        }));
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

    private static WriteResult write(TableWriter writer, TableSchema s, List<ChangeEvent> events) {
        WriteResult r = writer.write(Batch.of(s, events));
        writer.flush();
        return r;
    }

    /** Reads the target and checks it holds exactly {@code expected} (any order). */
    protected void assertTarget(TableSchema s, List<List<Object>> written) {
        // what the sink's documented mapping keeps of each value (e.g. timestamps cut to milliseconds)
        List<List<Object>> expected = new ArrayList<>(written.size());
        written.forEach(row -> expected.add(stored(s, row)));
        List<Map<String, Object>> actual = readTarget(s);
        assertEquals(expected.size(), actual.size(), "row count of target '" + s.name() + "'; rows: "
                + (actual.size() <= 10 ? actual : actual.subList(0, 10) + "…"));
        int[] k = s.keyIndexes();
        List<String> cols = s.columnNames();
        java.util.Set<Map<String, Object>> unmatched = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        unmatched.addAll(actual);
        // rows indexed by a loose form of their key; a key of another form is still found by the full search
        Map<String, List<Map<String, Object>>> byKey = new java.util.HashMap<>();
        for (Map<String, Object> a : actual) {
            byKey.computeIfAbsent(looseKey(k, cols, a::get), x -> new ArrayList<>()).add(a);
        }
        for (List<Object> row : expected) {
            Map<String, Object> found = null;
            List<Map<String, Object>> candidates = byKey.getOrDefault(looseKey(k, cols, c -> row.get(cols.indexOf(c))), List.of());
            for (java.util.Collection<Map<String, Object>> pool : List.of(candidates, unmatched)) {
                for (Map<String, Object> a : pool) {
                    boolean match = unmatched.contains(a);
                    for (int i : k) {
                        match &= TestValues.same(row.get(i), a.get(cols.get(i)));
                    }
                    if (match) {
                        found = a;
                        break;
                    }
                }
                if (found != null) {
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

    /** A key's values as text, numbers without their Java type, for looking rows up. */
    private static String looseKey(int[] k, List<String> cols, java.util.function.Function<String, Object> value) {
        StringBuilder sb = new StringBuilder();
        for (int i : k) {
            Object v = value.apply(cols.get(i));
            if (v instanceof Number && !(v instanceof Double) && !(v instanceof Float)) {
                v = new BigDecimal(v.toString()).stripTrailingZeros().toPlainString();
            } else if (v instanceof byte[]) {
                v = Arrays.toString((byte[]) v);
            }
            sb.append(v).append('\u0000');
        }
        return sb.toString();
    }

    private static List<Object> keyOf(TableSchema s, List<Object> row) {
        List<Object> key = new ArrayList<>();
        for (int i : s.keyIndexes()) {
            key.add(row.get(i));
        }
        return key;
    }

    void openCreatesTheTargetAndIsIdempotent() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("create"));
        open(sink, s).close();
        TableWriter w = open(sink, s);
        assertTrue(readTarget(s).isEmpty(), "a new target is empty");
        write(w, s, List.of(up(s, simpleRow(1, "a"))));
        open(sink, s);
        assertTarget(s, List.of(simpleRow(1, "a")));
    }

    void theSameBatchTwiceGivesTheSameTarget() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("twice"));
        TableWriter w = open(sink, s);
        List<ChangeEvent> batch = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 1; id <= 50; id++) {
            rows.add(simpleRow(id, "n" + id));
            batch.add(up(s, rows.get(rows.size() - 1)));
        }
        WriteResult first = write(w, s, batch);
        assertEquals(50, first.upserted());
        write(w, s, batch);
        assertTarget(s, rows);
    }

    void anUpsertReplacesTheRow() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("update"));
        TableWriter w = open(sink, s);
        write(w, s, List.of(up(s, simpleRow(1, "old")), up(s, simpleRow(2, "two"))));
        List<Object> changed = TestValues.row(1L, "new", new BigDecimal("99.99"), T0.plusSeconds(3600), false);
        write(w, s, List.of(up(s, changed)));
        assertTarget(s, List.of(changed, simpleRow(2, "two")));
    }

    void theLastChangeOfAKeyInOneBatchWins() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("lastwins"));
        TableWriter w = open(sink, s);
        write(w, s, List.of(up(s, simpleRow(1, "v1")), up(s, simpleRow(1, "v2")), up(s, simpleRow(2, "two")),
                up(s, simpleRow(2, "two v2")), up(s, simpleRow(1, "v3"))));
        assertTarget(s, List.of(simpleRow(1, "v3"), simpleRow(2, "two v2")));
    }

    void deletesAndReinsertsInOneBatchKeepTheirOrder() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("delorder"));
        TableWriter w = open(sink, s);
        write(w, s, List.of(up(s, simpleRow(1, "a")), up(s, simpleRow(2, "b"))));
        write(w, s, List.of(up(s, simpleRow(3, "three")), del(s, 3L), del(s, 2L), up(s, simpleRow(2, "two again")),
                del(s, 1L), up(s, simpleRow(1, "one again")), del(s, 1L)));
        assertTarget(s, List.of(simpleRow(2, "two again")));
    }

    void deleteRemovesByKeyAndMissingKeysAreNoError() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("delete"));
        TableWriter w = open(sink, s);
        write(w, s, List.of(up(s, simpleRow(1, "a")), up(s, simpleRow(2, "b")), up(s, simpleRow(3, "c"))));
        WriteResult r = write(w, s, List.of(del(s, 2L), del(s, 404L)));
        assertTrue(r.failed().isEmpty(), "deleting a missing key is not a failure: " + r.failed());
        assertTarget(s, List.of(simpleRow(1, "a"), simpleRow(3, "c")));
        write(w, s, List.of(del(s, 2L)));
        assertTarget(s, List.of(simpleRow(1, "a"), simpleRow(3, "c")));
    }

    void truncateEmptiesTheTarget() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("truncate"));
        TableWriter w = open(sink, s);
        write(w, s, List.of(up(s, simpleRow(1, "a")), up(s, simpleRow(2, "b"))));
        w.truncate();
        w.flush();
        assertTarget(s, List.of());
        write(w, s, List.of(up(s, simpleRow(3, "c"))));
        assertTarget(s, List.of(simpleRow(3, "c")));
    }

    /** Rows written but not flushed before a truncate are gone after it; rows after it stay. */
    void truncateKeepsNothingWrittenBeforeIt() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("truncbuf"));
        TableWriter w = open(sink, s);
        write(w, s, List.of(up(s, simpleRow(1, "a"))));
        w.write(Batch.of(s, List.of(up(s, simpleRow(2, "b")))));
        w.truncate();
        w.write(Batch.of(s, List.of(up(s, simpleRow(3, "c")))));
        w.flush();
        assertTarget(s, List.of(simpleRow(3, "c")));
    }

    void aReplayedOlderChangeNeverWinsInAVersionedSink() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("versions"));
        TableWriter w = open(sink, s);
        write(w, s, List.of(up(s, simpleRow(1, "newer"), 5_000_000L)));
        WriteResult stale = write(w, s, List.of(up(s, simpleRow(1, "older"), 4_000_000L)));
        assertTrue(stale.failed().isEmpty(), "a stale write is skipped, not failed: " + stale.failed());
        assertTarget(s, List.of(simpleRow(1, "newer")));
        write(w, s, List.of(up(s, simpleRow(2, "kept"), -10L), up(s, simpleRow(2, "negative versions order too"), -5L)));
        assertTarget(s, List.of(simpleRow(1, "newer"), simpleRow(2, "negative versions order too")));
        // an older replay in a later batch, after the newer one was flushed by another writer of the table
        TableWriter other = open(sink(), s);
        write(other, s, List.of(up(s, simpleRow(2, "replayed older"), -7L), up(s, simpleRow(3, "new"), 10L)));
        assertTarget(s, List.of(simpleRow(1, "newer"), simpleRow(2, "negative versions order too"), simpleRow(3, "new")));
    }

    /** A replacement is invisible until swapped in, survives its writer (a resumed snapshot), and then replaces all. */
    void aReplacementIsLoadedAsideAndSwappedInWhole() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("replace"));
        TableWriter w = open(sink, s);
        write(w, s, List.of(up(s, simpleRow(1, "old")), up(s, simpleRow(2, "old"))));
        w.beginReplacement();
        write(w, s, List.of(up(s, simpleRow(3, "new"))));
        assertTarget(s, List.of(simpleRow(1, "old"), simpleRow(2, "old")));
        w.close();
        writers.remove(w);
        TableWriter again = open(sink(), s);
        assertTrue(again.resumeReplacement(), "the replacement outlives its writer");
        write(again, s, List.of(up(s, simpleRow(4, "new"))));
        again.commitReplacement();
        assertTarget(s, List.of(simpleRow(3, "new"), simpleRow(4, "new")));
        write(again, s, List.of(up(s, simpleRow(5, "after"))));
        assertTarget(s, List.of(simpleRow(3, "new"), simpleRow(4, "new"), simpleRow(5, "after")));
        assertFalse(open(sink(), s).resumeReplacement(), "nothing to resume once swapped in");
    }

    /** Rows written and never flushed reach the target when the writer closes, as the contract asks. */
    void closingAWriterKeepsWhatItBuffered() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("closeflush"));
        TableWriter w = open(sink, s);
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 1; id <= 30; id++) {
            rows.add(simpleRow(id, "buffered " + id));
        }
        List<ChangeEvent> events = new ArrayList<>();
        rows.forEach(r -> events.add(up(s, r)));
        w.write(Batch.of(s, events));
        w.close();
        writers.remove(w);
        assertTarget(s, rows);
    }

    /** Flushing one table's writer neither sends nor loses what another table's writer holds. */
    void writersOfTwoTablesDoNotFlushEachOther() {
        Sink sink = sink();
        TableSchema a = simpleSchema(tableName("two_a"));
        TableSchema b = simpleSchema(tableName("two_b"));
        TableWriter wa = open(sink, a);
        TableWriter wb = open(sink, b);
        wa.write(Batch.of(a, List.of(up(a, simpleRow(1, "a1")))));
        wb.write(Batch.of(b, List.of(up(b, simpleRow(1, "b1")), up(b, simpleRow(2, "b2")))));
        wa.flush();
        assertTarget(a, List.of(simpleRow(1, "a1")));
        wb.write(Batch.of(b, List.of(up(b, simpleRow(3, "b3")))));
        wb.flush();
        assertTarget(b, List.of(simpleRow(1, "b1"), simpleRow(2, "b2"), simpleRow(3, "b3")));
        assertTarget(a, List.of(simpleRow(1, "a1")));
    }

    /** The schema with one column per logical type the sink supports (arrays of strings and of integers). */
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
                new Column("tstz", LogicalType.TIMESTAMP_TZ, true, 6, 0, null, null),
                new Column("ts", LogicalType.TIMESTAMP, true, 6, 0, null, null),
                Column.of("bin", LogicalType.BYTES),
                Column.of("u", LogicalType.UUID),
                Column.of("j", LogicalType.JSON),
                Column.array("arr", LogicalType.STRING),
                Column.array("iarr", LogicalType.INT64)));
        if (supports(LogicalType.TIME)) {
            cols.add(new Column("tm", LogicalType.TIME, true, 6, 0, null, null));
        }
        return new TableSchema(name, cols, List.of("id"));
    }

    private static Object sample(Column c, int variant) {
        switch (c.name()) {
            case "s": return variant == 0 ? "plain ascii" : "ünïcödé ✓ 日本語 \"quoted\" 'single' \\ back\ttab\nline";
            case "i32": return variant == 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE;
            case "i64": return variant == 0 ? Long.MAX_VALUE - 1 : Long.MIN_VALUE + 1;
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
            case "iarr": return variant == 0 ? List.of(1L, -2L, 3_000_000_000L) : List.of();
            case "tm": return variant == 0 ? LocalTime.of(13, 45, 30, 123_456_000) : LocalTime.MIDNIGHT;
            default: throw new IllegalArgumentException(c.name());
        }
    }

    /**
     * The extreme values of each type, which some databases cannot hold: a sink declares those through
     * {@link Sink#refuses}, and must then fail exactly those rows, alone.
     */
    private static List<Object> extremes(Column c) {
        switch (c.name()) {
            case "i32": return List.of(Integer.MIN_VALUE, Integer.MAX_VALUE);
            case "i64": return List.of(Long.MAX_VALUE, Long.MIN_VALUE);
            case "dec": return List.of(new BigDecimal("99999999999999.9999"), new BigDecimal("-99999999999999.9999"));
            case "f": return List.of(Double.MAX_VALUE, -Double.MIN_VALUE);
            case "d": return List.of(LocalDate.of(1, 1, 1), LocalDate.of(9999, 12, 31));
            case "tstz": return List.of(Instant.parse("1900-01-01T00:00:00.000001Z"), Instant.parse("9999-12-31T23:59:59.999999Z"));
            case "ts": return List.of(LocalDateTime.of(1, 1, 1, 0, 0), LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000));
            default: return List.of();
        }
    }

    /** The values this sink stores, as its documented mapping keeps them. */
    private List<Object> stored(TableSchema s, List<Object> row) {
        List<Object> out = new ArrayList<>(row.size());
        for (int i = 0; i < row.size(); i++) {
            out.add(storedForm(s.columns().get(i), row.get(i)));
        }
        return out;
    }

    void nullsAndEverySupportedLogicalTypeRoundTrip() {
        Sink sink = sink();
        TableSchema s = typesSchema(tableName("types"));
        TableWriter w = open(sink, s);
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
        WriteResult r = write(w, s, batch);
        assertTrue(r.failed().isEmpty(), "no row rejected: " + r.failed());
        assertTarget(s, rows);
    }

    /**
     * One row per extreme value: the rows the sink declares it cannot hold fail alone, with a reason; every other
     * row is stored exactly. Nothing is stored as something else, nothing is lost silently.
     */
    void valuesOutsideTheDeclaredRangesFailTheirRowAlone() {
        Sink sink = sink();
        TableSchema s = typesSchema(tableName("extremes"));
        TableWriter w = open(sink, s);
        List<List<Object>> rows = new ArrayList<>();
        Set<Long> refused = new java.util.HashSet<>();
        long id = 1;
        for (Column c : s.columns()) {
            for (Object v : extremes(c)) {
                List<Object> row = new ArrayList<>();
                for (Column x : s.columns()) {
                    row.add(x == c ? v : x.name().equals("id") ? id : null);
                }
                if (sink.refuses(c, v) != null) {
                    refused.add(id);
                }
                rows.add(row);
                id++;
            }
        }
        List<ChangeEvent> batch = new ArrayList<>();
        rows.forEach(r -> batch.add(up(s, r)));
        Set<Long> failed = new java.util.HashSet<>();
        List<WriteResult.FailedEvent> rejected = new ArrayList<>();
        try {
            rejected.addAll(write(w, s, batch).failed());
        } catch (dev.dbsync.spi.DataException e) {
            // A writer may refuse the whole batch; then, as the engine does, each row is written alone.
            for (ChangeEvent e1 : batch) {
                try {
                    rejected.addAll(write(w, s, List.of(e1)).failed());
                } catch (dev.dbsync.spi.DataException one) {
                    rejected.add(new WriteResult.FailedEvent(e1, String.valueOf(one.getMessage()), one));
                }
            }
        }
        for (WriteResult.FailedEvent f : rejected) {
            assertFalse(f.reason().isBlank(), "a failed row says why");
            failed.add(((Number) f.event().key().get(0)).longValue());
        }
        assertEquals(refused, failed, "exactly the rows with values the sink declares it refuses fail");
        List<List<Object>> expected = new ArrayList<>();
        for (List<Object> row : rows) {
            if (!refused.contains(((Number) row.get(0)).longValue())) {
                expected.add(row);
            }
        }
        assertTarget(s, expected);
    }

    void oddIdentifiersAreQuotedNotInjected() {
        Sink sink = sink();
        String table = tableName(oddTableBase());
        TableSchema s = new TableSchema(table, List.of(
                Column.required("Order Id", LogicalType.INT64),
                Column.of("select", LogicalType.STRING),
                Column.of("we\"ird'); --", LogicalType.STRING),
                Column.of("Ünïcödé", LogicalType.INT32)), List.of("Order Id"));
        TableWriter w = open(sink, s);
        List<Object> row = TestValues.row(1L, "from", "x'); DROP TABLE y; --", 7);
        write(w, s, List.of(up(s, row)));
        assertTarget(s, List.of(row));
        if (has(SinkCapability.DELETE)) {
            write(w, s, List.of(del(s, 1L)));
            assertTarget(s, List.of());
        }
    }

    void compositeKeys() {
        Sink sink = sink();
        TableSchema s = new TableSchema(tableName("composite"), List.of(
                Column.required("tenant", LogicalType.STRING),
                Column.required("id", LogicalType.INT64),
                Column.of("v", LogicalType.STRING)), List.of("tenant", "id"));
        TableWriter w = open(sink, s);
        // keys whose parts joined naively would collide: ("a:1", 2) and ("a", 12)
        write(w, s, List.of(up(s, TestValues.row("a", 1L, "a1")), up(s, TestValues.row("b", 1L, "b1")),
                up(s, TestValues.row("a", 2L, "a2")), up(s, TestValues.row("a:1", 2L, "colon")),
                up(s, TestValues.row("a", 12L, "twelve"))));
        List<ChangeEvent> second = new ArrayList<>(List.of(up(s, TestValues.row("a", 1L, "a1 v2"))));
        if (has(SinkCapability.DELETE)) {
            second.add(del(s, "b", 1L));
        }
        write(w, s, second);
        List<List<Object>> expected = new ArrayList<>(List.of(TestValues.row("a", 1L, "a1 v2"), TestValues.row("a", 2L, "a2"),
                TestValues.row("a:1", 2L, "colon"), TestValues.row("a", 12L, "twelve")));
        if (!has(SinkCapability.DELETE)) {
            expected.add(TestValues.row("b", 1L, "b1"));
        }
        assertTarget(s, expected);
    }

    void aTenThousandRowBatch() {
        Sink sink = sink();
        TableSchema s = simpleSchema(tableName("tenk"));
        TableWriter w = open(sink, s);
        List<ChangeEvent> batch = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 1; id <= 10_000; id++) {
            List<Object> row = simpleRow(id, "row " + id);
            rows.add(row);
            batch.add(up(s, row));
        }
        WriteResult r = write(w, s, batch);
        assertEquals(10_000, r.upserted());
        assertEquals(10_000, readTarget(s).size());
        assertTarget(s, rows);
    }

    /**
     * Runs the engine from an in-memory source into this sink, kills it at many points (before and after
     * writes, after flushes) and restarts it over the same checkpoint store; the target must end equal to the
     * source every time.
     */
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
                if (has(SinkCapability.DELETE)) {
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
