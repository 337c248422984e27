package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.engine.DeadLetterHandler;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import dev.dbsync.verify.ExpectedDifference;
import dev.dbsync.verify.TableVerification;
import dev.dbsync.verify.Verifier;
import dev.dbsync.verify.VerifyReport;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The library's verifier against the in-memory reference connectors: what it finds, and what it must not. */
class VerifierTest {

    private static final TableSchema ORDERS = new TableSchema("orders", List.of(
            Column.required("id", LogicalType.INT64),
            Column.of("note", LogicalType.STRING),
            Column.decimal("amount", 12, 2),
            Column.of("updated_at", LogicalType.TIMESTAMP_TZ)), List.of("id"));

    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456Z");

    /** Source and target holding {@code n} equal rows in table {@code orders}. */
    private static MemorySource[] twin(int n) {
        MemorySource source = new MemorySource();
        MemorySource target = new MemorySource();
        source.createTable(ORDERS);
        target.createTable(ORDERS);
        for (long id = 1; id <= n; id++) {
            Object[] row = {id, "note " + id, new BigDecimal(id + ".50"), T0.plusSeconds(id)};
            source.upsert("orders", row);
            target.upsert("orders", row);
        }
        return new MemorySource[] {source, target};
    }

    private static Verifier.Builder verifier(MemorySource source, MemorySource target) {
        return Verifier.builder().source(source).target(target).chunkKeys(10).maxKeys(5)
                .table(TableSpec.of("orders"), "orders");
    }

    @Test
    void equalTablesAreEqual() {
        MemorySource[] db = twin(250);
        VerifyReport report = verifier(db[0], db[1]).build().run();
        TableVerification t = report.tables().get(0);
        assertTrue(report.equal(), report.toText());
        assertTrue(t.verified());
        assertEquals(250, t.sourceRows());
        assertEquals(250, t.targetRows());
        assertEquals(25, t.chunks());
        assertEquals(0, t.differingChunks());
        assertEquals(List.of("id", "note", "amount", "updated_at"), t.columns());
        assertTrue(t.summary().contains("equal"), t.summary());
    }

    @Test
    void missingExtraAndDifferentKeysAreListedWithTheirChunks() {
        MemorySource[] db = twin(100);
        db[1].delete("orders", 7L);
        db[1].upsert("orders", 1000L, "only in target", new BigDecimal("1.00"), T0);
        db[1].upsert("orders", 42L, "changed", new BigDecimal("42.50"), T0.plusSeconds(42));
        db[1].upsert("orders", 43L, "note 43", new BigDecimal("43.5"), T0.plusSeconds(43)); // same number: equal

        TableVerification t = verifier(db[0], db[1]).build().run().tables().get(0);
        assertFalse(t.equal());
        assertEquals(List.of("7"), t.missing());
        assertEquals(List.of("1000"), t.extra());
        assertEquals(List.of("42"), t.different());
        assertEquals(3, t.differences());
        assertEquals(100, t.sourceRows());
        assertEquals(100, t.targetRows());
        assertTrue(t.differingChunks() >= 1 && t.differingChunks() <= 3, "differing chunks " + t.differingChunks());
        assertEquals(t.differingChunks(), t.chunkDifferences().size());
        assertTrue(t.chunkDifferences().stream().allMatch(c -> c.sourceRows() != c.targetRows()
                || c.sourceChecksum() != c.targetChecksum()));
    }

    @Test
    void everyDifferenceIsCountedWhenFewAreListedAndFewKeysFitInMemory() {
        MemorySource[] db = twin(300);
        db[1].truncate("orders");
        for (long id = 1; id <= 300; id++) {
            Object[] row = {id, "note " + id, new BigDecimal(id + ".50"), T0.plusSeconds(id)};
            if (id % 3 == 0) {
                row[1] = "changed";
            }
            if (id % 50 != 0) {
                db[1].upsert("orders", row);
            }
        }
        // keyBudget 1: each differing chunk present on both sides is compared in a round of its own
        TableVerification t = verifier(db[0], db[1]).keyBudget(1).build().run().tables().get(0);
        long changed = 300 / 3 - 2; // ids 150 and 300 are both multiples of 3 and 50: missing, not different
        assertEquals(6 + changed, t.differences(), t.toString());
        assertEquals(5, t.different().size());
        assertEquals(5, t.missing().size());
        assertEquals(294, t.targetRows());
    }

    @Test
    void aTargetWithoutRowsListsEveryKeyMissingWhileStreaming() {
        MemorySource[] db = twin(40);
        db[1].truncate("orders");
        TableVerification t = verifier(db[0], db[1]).keyBudget(1).build().run().tables().get(0);
        assertEquals(40, t.differences());
        assertEquals(5, t.missing().size());
        assertEquals(0, t.targetRows());
        assertFalse(t.equal());
    }

    /** A sink that keeps timestamps in milliseconds, stores a DATE as the timestamp at midnight and has no TIME. */
    static final class MillisSink extends MemorySink {
        @Override
        public Object storedForm(Column column, Object value) {
            if (value instanceof Instant i) {
                return i.truncatedTo(ChronoUnit.MILLIS);
            }
            if (value instanceof LocalDate d) {
                return d.atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return value;
        }

        /** Refuses numbers beyond ±2^53, as a store of doubles would. */
        @Override
        public String refuses(Column column, Object value) {
            if (value instanceof Long l && (l > (1L << 53) || l < -(1L << 53))) {
                return "column '" + column.name() + "': " + l + " is beyond ±2^53";
            }
            return null;
        }
    }

    private static final TableSchema EVENTS = new TableSchema("events", List.of(
            Column.required("id", LogicalType.INT64),
            Column.of("at", LogicalType.TIMESTAMP_TZ),
            Column.of("day", LogicalType.DATE),
            Column.of("starts", LogicalType.TIME),
            Column.of("counter", LogicalType.INT64)), List.of("id"));

    /** The target's own columns: what the sink's database reads back (TIME as its text fallback). */
    private static final TableSchema EVENTS_STORED = new TableSchema("events", List.of(
            Column.required("id", LogicalType.INT64),
            Column.of("at", LogicalType.TIMESTAMP_TZ),
            Column.of("day", LogicalType.TIMESTAMP_TZ),
            Column.of("starts", LogicalType.STRING),
            Column.of("counter", LogicalType.INT64)), List.of("id"));

    @Test
    void valuesAreComparedInTheFormTheSinkStoresThem() {
        MemorySource source = new MemorySource();
        MemorySource target = new MemorySource();
        source.createTable(EVENTS);
        target.createTable(EVENTS_STORED);
        for (long id = 1; id <= 30; id++) {
            Instant at = T0.plusNanos(id * 1_001_000L);
            LocalDate day = LocalDate.of(2026, 3, 1).plusDays(id);
            LocalTime starts = LocalTime.of(8, 0).plusSeconds(id);
            source.upsert("events", id, at, day, starts, id * 10);
            target.upsert("events", id, at.truncatedTo(ChronoUnit.MILLIS), day.atStartOfDay(ZoneOffset.UTC).toInstant(),
                    LogicalType.TIME.toFallback(starts), id * 10);
        }
        Verifier.Builder b = Verifier.builder().source(source).target(target).chunkKeys(8)
                .table(TableSpec.of("events"), "events");

        TableVerification asRead = b.build().run().tables().get(0);
        assertEquals(30, asRead.differences(), "without the sink's mapping every row differs: " + asRead.summary());

        TableVerification stored = b.sink(new MillisSink()).build().run().tables().get(0);
        assertTrue(stored.equal(), stored.summary() + " " + stored.different());

        // a real difference is still found through the mapping: one millisecond off
        target.upsert("events", 5L, T0.plusNanos(5 * 1_001_000L).truncatedTo(ChronoUnit.MILLIS).plusMillis(1),
                LocalDate.of(2026, 3, 6).atStartOfDay(ZoneOffset.UTC).toInstant(),
                LogicalType.TIME.toFallback(LocalTime.of(8, 0, 5)), 50L);
        TableVerification off = b.build().run().tables().get(0);
        assertEquals(List.of("5"), off.different());
        assertFalse(off.equal());
    }

    @Test
    void valuesTheSinkRefusesAreExpectedDifferencesAndRealOnesAreStillCaught() {
        MemorySource source = new MemorySource();
        MemorySource target = new MemorySource();
        source.createTable(EVENTS);
        target.createTable(EVENTS_STORED);
        for (long id = 1; id <= 20; id++) {
            source.upsert("events", id, null, null, null, id);
            target.upsert("events", id, null, null, null, id);
        }
        // dead-lettered by the sink: never reached the target
        source.upsert("events", 21L, null, null, null, Long.MAX_VALUE);
        // refused on update: the target keeps the older row
        source.upsert("events", 3L, null, null, null, -(1L << 60));
        Verifier.Builder b = Verifier.builder().source(source).target(target).sink(new MillisSink()).chunkKeys(4)
                .table(TableSpec.of("events"), "events");

        TableVerification t = b.build().run().tables().get(0);
        assertTrue(t.equal(), t.summary());
        assertEquals(2, t.expectedDifferences());
        assertEquals(1, t.expectedMissing());
        assertEquals(Set.of("21", "3"), Set.copyOf(t.expected().stream().map(ExpectedDifference::key).toList()));
        ExpectedDifference first = t.expected().get(0);
        assertEquals("counter", first.column());
        assertTrue(first.reason().contains("beyond"), first.reason());
        assertTrue(t.summary().contains("2 expected differences"), t.summary());

        target.upsert("events", 9L, null, null, null, 900L);
        target.delete("events", 10L);
        TableVerification real = b.build().run().tables().get(0);
        assertFalse(real.equal());
        assertEquals(2, real.differences());
        assertEquals(List.of("9"), real.different());
        assertEquals(List.of("10"), real.missing());
        assertEquals(2, real.expectedDifferences());
    }

    @Test
    void theEngineAndTheVerifierAgreeOnDeadLetteredRows() {
        MemorySource source = new MemorySource();
        source.createTable(EVENTS);
        for (long id = 1; id <= 50; id++) {
            source.upsert("events", id, T0.plusNanos(id * 1000), LocalDate.of(2026, 1, 1), LocalTime.NOON,
                    id == 17 ? Long.MIN_VALUE : id);
        }
        RefusingSink sink = new RefusingSink();
        SyncReport sync;
        try (SyncEngine engine = SyncEngine.builder().pipeline("verify-test").source(source).sink(sink)
                .checkpointStore(CheckpointStores.memory())
                .deadLetterHandler(DeadLetterHandler.logAndSkip(10))
                .table(TableSync.full(TableSpec.of("events"))).build()) {
            sync = engine.runOnce();
        }
        assertTrue(sync.succeeded(), sync.toText());
        assertEquals(1, sync.tables().get(0).failed());

        // read the target back as the sink's own source connector would
        MemorySource target = new MemorySource();
        target.createTable(sink.schema("events"));
        for (List<Object> row : sink.rows("events")) {
            target.upsert("events", row.toArray());
        }
        // the engine closed its source: read the same rows through a fresh one
        MemorySource again = new MemorySource();
        again.createTable(EVENTS);
        for (List<Object> row : source.rows("events")) {
            again.upsert("events", row.toArray());
        }
        TableVerification t = Verifier.builder().source(again).target(target).sink(sink)
                .table(TableSpec.of("events"), "events").build().run().tables().get(0);
        assertTrue(t.equal(), t.summary());
        assertEquals(1, t.expectedMissing());
        assertEquals("17", t.expected().get(0).key());
    }

    /** The memory sink, refusing what {@link MillisSink} refuses, so the engine dead-letters those rows. */
    static final class RefusingSink extends MemorySink {
        private final MillisSink rules = new MillisSink();

        RefusingSink() {
            rejecting(e -> e.values().stream().anyMatch(v -> v instanceof Long l && rules.refuses(
                    Column.of("counter", LogicalType.INT64), l) != null));
        }

        @Override
        public String refuses(Column column, Object value) {
            return rules.refuses(column, value);
        }
    }

    /** A source that can read the rows whose note is "unreadable" only in part, as Chunk.failed rows. */
    static final class PartlyReadable extends MemorySource {
        @Override
        public synchronized Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
            Chunk c = super.readSnapshot(spec, schema, after, maxRows);
            List<dev.dbsync.spi.ChangeEvent> events = new java.util.ArrayList<>();
            List<dev.dbsync.spi.WriteResult.FailedEvent> failed = new java.util.ArrayList<>();
            for (dev.dbsync.spi.ChangeEvent e : c.events()) {
                if ("unreadable".equals(e.values().get(1))) {
                    failed.add(new dev.dbsync.spi.WriteResult.FailedEvent(e, "column 'amount': NaN has no DECIMAL form",
                            null));
                } else {
                    events.add(e);
                }
            }
            return new Chunk(events, c.next(), c.last(), failed);
        }
    }

    @Test
    void rowsTheSourceCannotReadAreExpectedAndChunksOfThemAloneDoNotEndTheRead() {
        MemorySource source = new PartlyReadable();
        MemorySource target = new MemorySource();
        source.createTable(ORDERS);
        target.createTable(ORDERS);
        for (long id = 1; id <= 30; id++) {
            // ids 11..20 cannot be read: with 10 rows per read, one whole chunk holds only failed rows
            Object[] row = {id, id > 10 && id <= 20 ? "unreadable" : "note " + id, new BigDecimal("1.50"), T0};
            source.upsert("orders", row);
            if (!"unreadable".equals(row[1])) {
                target.upsert("orders", row);
            }
        }
        target.upsert("orders", 15L, "an older state", new BigDecimal("1.50"), T0);
        TableVerification t = Verifier.builder().source(source).target(target).chunkKeys(5).maxKeys(20).readRows(10)
                .table(TableSpec.of("orders"), "orders").build().run().tables().get(0);
        assertTrue(t.equal(), t.summary() + " missing " + t.missing());
        assertEquals(30, t.sourceRows(), "rows 21..30 after the chunk of unreadable rows are read too");
        assertEquals(10, t.expectedDifferences());
        assertEquals(9, t.expectedMissing());
        ExpectedDifference e = t.expected().stream().filter(x -> x.key().equals("15")).findFirst().orElseThrow();
        assertNull(e.column());
        assertTrue(e.reason().contains("cannot read") && e.reason().contains("NaN"), e.reason());

        // the reader of the target cannot read a row: it matches nothing, a real difference
        PartlyReadable badTarget = new PartlyReadable();
        badTarget.createTable(ORDERS);
        for (List<Object> r : target.rows("orders")) {
            badTarget.upsert("orders", r.toArray());
        }
        badTarget.upsert("orders", 3L, "unreadable", new BigDecimal("1.50"), T0);
        TableVerification d = Verifier.builder().source(source).target(badTarget).chunkKeys(5).readRows(10)
                .table(TableSpec.of("orders"), "orders").build().run().tables().get(0);
        assertFalse(d.equal());
        assertEquals(List.of("3"), d.different());
    }

    @Test
    void aTableThatCannotBeReadIsReportedAndTheOthersAreStillVerified() {
        MemorySource[] db = twin(20);
        db[0].createTable(EVENTS.withName("broken"));
        db[1].createTable(EVENTS_STORED.withName("broken"));
        db[0].upsert("broken", 1L, null, null, null, 1L);
        MemorySource failing = new MemorySource() {
            @Override
            public synchronized Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
                if (spec.table().equals("broken")) {
                    throw new SyncException(ErrorType.DATA, "table 'broken', key [1]: column 'at' holds a value "
                            + "the source cannot read");
                }
                return db[0].readSnapshot(spec, schema, after, maxRows);
            }

            @Override
            public synchronized TableSchema describe(TableSpec spec) {
                return db[0].describe(spec);
            }

            @Override
            public synchronized java.util.OptionalLong estimateRows(TableSpec spec) {
                return db[0].estimateRows(spec);
            }
        };
        VerifyReport report = Verifier.builder().source(failing).target(db[1])
                .table(TableSpec.of("broken"), "broken")
                .table(TableSpec.of("orders"), "orders")
                .table(TableSpec.of("nowhere"), "nowhere")
                .build().run();
        assertEquals(3, report.tables().size());
        TableVerification broken = report.tables().get(0);
        assertFalse(broken.verified());
        assertNotNull(broken.error());
        assertTrue(broken.error().contains("cannot read"), broken.error());
        assertTrue(report.tables().get(1).equal(), report.tables().get(1).summary());
        assertNull(report.tables().get(1).error());
        assertTrue(report.tables().get(2).error().contains("nowhere"), report.tables().get(2).error());
        assertFalse(report.equal());
        assertEquals(2, report.failed().size());
        assertTrue(report.toText().contains("NOT VERIFIED"), report.toText());
    }

    @Test
    void softDeletedSourceRowsAndProbesAreTakenIntoAccount() {
        TableSchema items = new TableSchema("items", List.of(Column.required("id", LogicalType.INT64),
                Column.of("name", LogicalType.STRING), Column.of("is_deleted", LogicalType.BOOLEAN)), List.of("id"));
        TableSchema itemsTarget = new TableSchema("items", List.of(Column.required("id", LogicalType.INT64),
                Column.of("name", LogicalType.STRING)), List.of("id"));
        MemorySource source = new MemorySource();
        MemorySource target = new MemorySource();
        source.createTable(items);
        target.createTable(itemsTarget);
        for (long id = 1; id <= 10; id++) {
            source.upsert("items", id, "item " + id, id == 4);
            if (id != 4) {
                target.upsert("items", id, "item " + id);
            }
        }
        TableVerification t = Verifier.builder().source(source).target(target)
                .table(TableSpec.of("items").withSoftDelete("is_deleted"), "items", Set.of("4", "5", "99"))
                .build().run().tables().get(0);
        assertTrue(t.equal(), t.summary());
        assertEquals(9, t.sourceRows());
        assertEquals(List.of("id", "name"), t.columns());
        assertEquals(Set.of("5"), t.probesFound());
    }
}
