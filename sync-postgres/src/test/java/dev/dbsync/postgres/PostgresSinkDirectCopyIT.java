package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.DeadLetter;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.testkit.memory.MemorySource;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The direct COPY of upsert batches into the table (binary when every column allows, else text): the same
 * result as the staged upsert whatever the table already holds, errors that name the key, checkpoints in the
 * same transaction as the rows.
 */
class PostgresSinkDirectCopyIT {

    private static final PgTestDb DB = PgTestDb.create("sinkdirect");
    /** Batches at least this large take the direct path (PostgresSink's DIRECT_MIN_ROWS). */
    private static final int LARGE = 1500;

    private static TableSchema schema(String name) {
        return new TableSchema(name, List.of(Column.required("id", LogicalType.INT64), Column.of("v", LogicalType.STRING),
                Column.decimal("amount", 12, 2)), List.of("id"));
    }

    private static ChangeEvent row(String table, long id, String v) {
        return ChangeEvent.upsert(table, new Object[] {id}, new Object[] {id, v, BigDecimal.valueOf(id, 2)}, 0, Position.of(id));
    }

    private static List<ChangeEvent> rows(String table, long from, long to, String v) {
        List<ChangeEvent> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(row(table, i, v + i));
        }
        return out;
    }

    private static PostgresSink sink() {
        return new PostgresSink(DB.factory(), "public", true, null);
    }

    @Test
    void aDirectLoadIntoAnEmptyTableThenUpdatesDeletesAndInserts() {
        TableSchema s = schema("load_then_change");
        try (PostgresSink sink = sink(); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, rows("load_then_change", 1, 3000, "a")));
            assertEquals(3000, DB.count("SELECT count(*) FROM load_then_change"));
            assertEquals(3000, DB.count("SELECT count(*) FROM load_then_change WHERE v = 'a' || id AND amount = id / 100.0"));
            List<ChangeEvent> changes = new ArrayList<>(rows("load_then_change", 2001, 3500, "b"));
            changes.add(ChangeEvent.delete("load_then_change", new Object[] {5L}, null, 0, Position.of(5L)));
            changes.add(ChangeEvent.delete("load_then_change", new Object[] {3400L}, null, 0, Position.of(3400L)));
            w.write(Batch.of(s, changes));
            assertEquals(3498, DB.count("SELECT count(*) FROM load_then_change"));
            assertEquals(1499, DB.count("SELECT count(*) FROM load_then_change WHERE v LIKE 'b%'"));
            assertEquals(0, DB.count("SELECT count(*) FROM load_then_change WHERE id IN (5, 3400)"));
            // all upserts again, most keys existing: the direct COPY meets them and the staged upsert applies the batch
            w.write(Batch.of(s, rows("load_then_change", 1, 4000, "c")));
            assertEquals(4000, DB.count("SELECT count(*) FROM load_then_change WHERE v = 'c' || id"));
        }
    }

    @Test
    void aKeyTheTableAlreadyHoldsIsUpdatedNotDuplicatedNorLost() {
        DB.exec("CREATE TABLE preloaded (id bigint PRIMARY KEY, v text, amount numeric(12,2))",
                "INSERT INTO preloaded VALUES (777, 'old', 1.00)");
        TableSchema s = schema("preloaded");
        try (PostgresSink sink = sink(); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, rows("preloaded", 1, LARGE, "n")));
            assertEquals(LARGE, DB.count("SELECT count(*) FROM preloaded"));
            assertEquals(1, DB.count("SELECT count(*) FROM preloaded WHERE id = 777 AND v = 'n777' AND amount = 7.77"));
            // after the fallback the direct path pauses; later batches of new keys are still all written
            for (int b = 1; b <= 20; b++) {
                w.write(Batch.of(s, rows("preloaded", b * 10_000L, b * 10_000L + LARGE - 1, "p")));
            }
            assertEquals(LARGE * 21L, DB.count("SELECT count(*) FROM preloaded"));
        }
    }

    @Test
    void aKeyTwiceInOneBatchKeepsItsLastChange() {
        TableSchema s = schema("twice");
        try (PostgresSink sink = sink(); TableWriter w = sink.open(s)) {
            List<ChangeEvent> events = new ArrayList<>(rows("twice", 1, LARGE, "first"));
            events.add(row("twice", 42, "second"));
            w.write(Batch.of(s, events));
            assertEquals(LARGE, DB.count("SELECT count(*) FROM twice"));
            assertEquals(1, DB.count("SELECT count(*) FROM twice WHERE id = 42 AND v = 'second'"));
        }
    }

    @Test
    void aBadValueInTheDirectPathFailsTheBatchNamingItsKeyAndIsDeadLetteredAlone() {
        TableSchema s = new TableSchema("small_numbers", List.of(Column.required("id", LogicalType.INT64),
                Column.decimal("n", 4, 2), Column.of("label", LogicalType.STRING)), List.of("id"));
        List<ChangeEvent> events = new ArrayList<>();
        for (long i = 1; i <= 3000; i++) {
            BigDecimal n = i == 1234 ? new BigDecimal("12345.67") : BigDecimal.valueOf(i % 9999, 2);
            events.add(ChangeEvent.read("small_numbers", new Object[] {i}, new Object[] {i, n, "x" + i}, 0, Position.of(i)));
        }
        try (PostgresSink sink = sink(); TableWriter w = sink.open(s)) {
            DataException e = assertThrows(DataException.class, () -> w.write(Batch.of(s, events)));
            assertTrue(e.getMessage().contains("public.small_numbers") && e.getMessage().contains("[1234]"), e.getMessage());
            assertEquals(0, DB.count("SELECT count(*) FROM small_numbers"), "nothing of the failed batch is left");
            // the writer stays usable
            w.write(Batch.of(s, events.subList(0, 1000)));
            assertEquals(1000, DB.count("SELECT count(*) FROM small_numbers"));
            w.truncate();
        }
        // through the engine: the bad row is isolated and dead-lettered alone, every other row written
        MemorySource source = new MemorySource();
        source.createTable(s);
        for (ChangeEvent e : events) {
            source.upsert("small_numbers", e.values().toArray());
        }
        List<DeadLetter> dead = Collections.synchronizedList(new ArrayList<>());
        try (PostgresSink sink = sink();
             SyncEngine engine = SyncEngine.builder().pipeline("direct_dead").source(source).sink(sink)
                     .checkpointStore(CheckpointStores.memory()).batchRows(3000)
                     .table(TableSync.full(TableSpec.of("small_numbers"))).deadLetterHandler(dead::add).build()) {
            SyncReport r = engine.runOnce();
            assertTrue(r.succeeded(), r.toText());
            assertEquals(1, r.failed(), r.toText());
        }
        assertEquals(1, dead.size(), dead.toString());
        assertEquals(List.of(1234L), dead.get(0).event().key());
        assertTrue(dead.get(0).reason().contains("[1234]"), dead.get(0).reason());
        assertEquals(2999, DB.count("SELECT count(*) FROM small_numbers"));
        assertEquals(0, DB.count("SELECT count(*) FROM small_numbers WHERE id = 1234"));
    }

    @Test
    void aValueOfAnotherClassGoesAsTextAndTheServersErrorNamesTheKey() {
        TableSchema s = new TableSchema("texty", List.of(Column.required("id", LogicalType.INT64),
                Column.of("n", LogicalType.INT32)), List.of("id"));
        List<ChangeEvent> events = new ArrayList<>();
        for (long i = 1; i <= LARGE; i++) {
            // a numeric string for an integer column is read by the server's text input, as on the staged path
            Object n = i == 10 ? "42" : i == 900 ? "not a number" : (Object) (int) i;
            events.add(ChangeEvent.upsert("texty", new Object[] {i}, new Object[] {i, n}, 0, Position.of(i)));
        }
        try (PostgresSink sink = sink(); TableWriter w = sink.open(s)) {
            DataException e = assertThrows(DataException.class, () -> w.write(Batch.of(s, events)));
            assertTrue(e.getMessage().contains("[900]"), e.getMessage());
            List<ChangeEvent> good = new ArrayList<>(events);
            good.set(899, ChangeEvent.upsert("texty", new Object[] {900L}, new Object[] {900L, 900}, 0, Position.of(900L)));
            w.write(Batch.of(s, good));
            assertEquals(LARGE, DB.count("SELECT count(*) FROM texty"));
            assertEquals(1, DB.count("SELECT count(*) FROM texty WHERE id = 10 AND n = 42"));
        }
    }

    @Test
    void aNulCharacterInTheBinaryCopyIsADataErrorNamingTheKey() {
        TableSchema s = schema("with_nul");
        try (PostgresSink sink = sink(); TableWriter w = sink.open(s)) {
            List<ChangeEvent> events = new ArrayList<>(rows("with_nul", 1, LARGE, "a"));
            events.set(1299, row("with_nul", 1300, "nul \0 inside"));
            DataException e = assertThrows(DataException.class, () -> w.write(Batch.of(s, events)));
            assertTrue(e.getMessage().contains("[1300]"), e.getMessage());
            assertEquals(0, DB.count("SELECT count(*) FROM with_nul"));
        }
    }

    @Test
    void aColumnTypeChangedBehindTheWritersBackIsWrittenAsText() {
        TableSchema s = new TableSchema("retyped", List.of(Column.required("id", LogicalType.INT64),
                Column.of("n", LogicalType.INT64), Column.decimal("amount", 12, 2)), List.of("id"));
        try (PostgresSink sink = sink(); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, numbered("retyped", 1)));
            w.truncate();
            w.write(Batch.of(s, numbered("retyped", 1)));
            assertEquals(LARGE, DB.count("SELECT count(*) FROM retyped"), "a truncate by the writer keeps the binary path");
            // both as long in binary as before (8 bytes): only the rewrite of the table tells the writer
            DB.exec("ALTER TABLE retyped ALTER COLUMN n TYPE double precision");
            w.write(Batch.of(s, numbered("retyped", 10_001)));
            assertEquals(2L * LARGE, DB.count("SELECT count(*) FROM retyped"));
            assertEquals(1, DB.count("SELECT count(*) FROM retyped WHERE id = 10100 AND n = 10100 AND amount = 101"));
        }
    }

    private static List<ChangeEvent> numbered(String table, long from) {
        List<ChangeEvent> out = new ArrayList<>();
        for (long i = from; i < from + LARGE; i++) {
            out.add(ChangeEvent.upsert(table, new Object[] {i}, new Object[] {i, i, BigDecimal.valueOf(i, 2)}, 0, Position.of(i)));
        }
        return out;
    }

    @Test
    void anEventWithTooFewValuesStopsTheStreamedCopyAndTheWriterGoesOn() {
        TableSchema s = schema("short_row");
        try (PostgresSink sink = sink(); TableWriter w = sink.open(s)) {
            List<ChangeEvent> events = new ArrayList<>(rows("short_row", 1, LARGE, "a"));
            events.set(1200, ChangeEvent.upsert("short_row", new Object[] {1201L}, new Object[] {1201L, "short"}, 0,
                    Position.of(1201L)));
            DataException e = assertThrows(DataException.class, () -> w.write(Batch.of(s, events)));
            assertTrue(e.getMessage().contains("[1201]") && e.getMessage().contains("2 values"), e.getMessage());
            assertEquals(0, DB.count("SELECT count(*) FROM short_row"));
            w.write(Batch.of(s, rows("short_row", 1, LARGE, "b")));
            assertEquals(LARGE, DB.count("SELECT count(*) FROM short_row"));
        }
    }

    @Test
    void aCheckpointIsCommittedWithTheDirectlyCopiedRowsOrNotAtAll() {
        TableSchema s = schema("direct_cp");
        try (PostgresSink sink = new PostgresSink(DB.factory(), "public", true, "dbsync_checkpoint"); TableWriter w = sink.open(s)) {
            var store = sink.checkpointStore().orElseThrow();
            Lease first = store.acquire("direct", "test:1");
            w.write(Batch.of(s, rows("direct_cp", 1, LARGE, "a"), CheckpointUpdate.of(first, "public.src", "c1")));
            assertEquals("c1", store.load("direct", "public.src").orElseThrow());
            store.release(first);
            Lease second = store.acquire("direct", "test:2");
            assertThrows(LeaseException.class, () -> w.write(Batch.of(s, rows("direct_cp", 10_001, 10_000 + LARGE, "old"),
                    CheckpointUpdate.of(first, "public.src", "stale"))));
            assertEquals(LARGE, DB.count("SELECT count(*) FROM direct_cp"), "the fenced batch's rows were rolled back");
            assertEquals("c1", store.load("direct", "public.src").orElseThrow());
            store.release(second);
        }
    }

    /**
     * Every type the binary COPY encodes, with edge values, written by the direct and the staged path, each in
     * binary and in text: all four tables hold exactly the same rows.
     */
    @Test
    void binaryAndTextCopiesStoreTheSameValues() {
        List<Column> cols = List.of(Column.required("id", LogicalType.INT64), Column.of("i32", LogicalType.INT32),
                Column.of("s", LogicalType.STRING), Column.of("b", LogicalType.BOOLEAN), Column.of("d", LogicalType.DECIMAL),
                Column.decimal("d2", 20, 4), Column.of("tz", LogicalType.TIMESTAMP_TZ), Column.of("ts", LogicalType.TIMESTAMP),
                Column.of("day", LogicalType.DATE), Column.of("f", LogicalType.FLOAT64), Column.of("u", LogicalType.UUID),
                Column.of("bytes", LogicalType.BYTES), Column.of("j", LogicalType.JSON));
        String[] decimals = {"0", "0.00", "-0.5", "1", "-1", "9999", "10000", "10001", "0.0001", "0.00001", "123.456789",
            "-98765432109876543210.0123456789", "1E+10", "1.5E-7", "3.14159265358979323846264338327950288", "100000000",
            "0.1000", "-10000.0001", "99999999999999.9999"};
        String[] strings = {"", "plain", "tab\there", "new\nline", "back\\slash", "Größe", "日本語", "emoji 😀 pair",
            "cr\r", "\\N", "quote \" and ' "};
        double[] doubles = {0.0, -0.0, 1.5, -2.25e300, Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, 0.1};
        Instant[] instants = {Instant.parse("2026-05-01T10:00:00Z"), Instant.parse("1970-01-01T00:00:00Z"),
            Instant.parse("1999-12-31T23:59:59.999999Z"), Instant.parse("2000-01-01T00:00:00.000001Z"),
            Instant.parse("0001-01-01T00:00:00Z"), Instant.parse("9999-12-31T23:59:59.999999Z"),
            Instant.parse("1900-02-28T12:34:56.5Z")};
        List<List<Object>> values = new ArrayList<>();
        for (int i = 0; i < LARGE; i++) {
            long id = i + 1;
            Instant t = instants[i % instants.length];
            values.add(java.util.Arrays.asList(id, i % 7 == 0 ? null : (Object) (i % 2 == 0 ? Integer.MIN_VALUE + i : Integer.MAX_VALUE - i),
                    i % 11 == 0 ? null : strings[i % strings.length] + i, i % 3 == 0, new BigDecimal(decimals[i % decimals.length]),
                    new BigDecimal(decimals[i % 11]).setScale(4, java.math.RoundingMode.HALF_UP).remainder(new BigDecimal("1E+16")),
                    t, LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), java.time.ZoneOffset.UTC),
                    LocalDate.of(1 + i % 9999, 1 + i % 12, 1 + i % 28), doubles[i % doubles.length],
                    i % 5 == 0 ? null : new UUID(i * 31L, -i), i % 4 == 0 ? new byte[0] : new byte[] {(byte) i, 0, (byte) 0xff, '\t'},
                    i % 6 == 0 ? null : Map.of("k", "v" + i, "n", i, "list", List.of(1, "two", Map.of()))));
        }
        // a time column (sent only as text) makes the COPYs of a table text
        List<Column> textCols = new ArrayList<>(cols);
        textCols.add(Column.of("t", LogicalType.TIME));
        List<List<Object>> textValues = new ArrayList<>();
        for (List<Object> v : values) {
            List<Object> t = new ArrayList<>(v);
            t.add(null);
            textValues.add(t);
        }
        try (PostgresSink sink = sink()) {
            write(sink, new TableSchema("bin_direct", cols, List.of("id")), values, LARGE);
            write(sink, new TableSchema("bin_staged", cols, List.of("id")), values, 100);
            write(sink, new TableSchema("txt_direct", textCols, List.of("id")), textValues, LARGE);
            write(sink, new TableSchema("txt_staged", textCols, List.of("id")), textValues, 100);
        }
        StringBuilder names = new StringBuilder();
        StringBuilder x = new StringBuilder();
        StringBuilder y = new StringBuilder();
        for (Column c : cols) {
            names.append(names.length() == 0 ? "" : ", ").append(c.name());
            x.append(x.length() == 0 ? "" : ", ").append("x.").append(c.name());
            y.append(y.length() == 0 ? "" : ", ").append("y.").append(c.name());
        }
        for (String table : List.of("bin_direct", "bin_staged", "txt_direct")) {
            assertEquals(LARGE, DB.count("SELECT count(*) FROM " + table));
            assertEquals(0, DB.count("SELECT count(*) FROM ((SELECT " + names + " FROM " + table + " EXCEPT SELECT " + names
                    + " FROM txt_staged) UNION ALL (SELECT " + names + " FROM txt_staged EXCEPT SELECT " + names + " FROM "
                    + table + ")) d"), table);
            // beyond EXCEPT's equality (numeric 1.0 = 1.00, -0 = 0): the stored text is the same too
            assertEquals(0, DB.count("SELECT count(*) FROM " + table + " x JOIN txt_staged y USING (id)"
                    + " WHERE ROW(" + x + ")::text IS DISTINCT FROM ROW(" + y + ")::text"), table);
        }
        assertEquals(1, DB.count("SELECT count(*) FROM bin_direct WHERE s = 'emoji 😀 pair' || 7"));
    }

    private static void write(PostgresSink sink, TableSchema s, List<List<Object>> values, int batch) {
        List<ChangeEvent> all = events(s.name(), values);
        try (TableWriter w = sink.open(s)) {
            for (int from = 0; from < all.size(); from += batch) {
                w.write(Batch.of(s, all.subList(from, Math.min(all.size(), from + batch))));
            }
        }
    }

    @Test
    void timesFinerThanMicrosecondsAreRoundedAsTheServerRoundsText() {
        TableSchema s = new TableSchema("nanos", List.of(Column.required("id", LogicalType.INT64),
                Column.of("at", LogicalType.TIMESTAMP_TZ)), List.of("id"));
        List<ChangeEvent> events = new ArrayList<>();
        for (long i = 1; i <= LARGE; i++) {
            Instant at = Instant.parse("2026-01-01T00:00:00Z").plusNanos(i == 77 ? 1_999_999_999L : i * 1000);
            events.add(ChangeEvent.upsert("nanos", new Object[] {i}, new Object[] {i, at}, 0, Position.of(i)));
        }
        try (PostgresSink sink = sink(); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, events));
        }
        assertEquals(LARGE, DB.count("SELECT count(*) FROM nanos"));
        assertEquals(1, DB.count("SELECT count(*) FROM nanos WHERE id = 77 AND at = '2026-01-01 00:00:02+00'"));
    }

    private static List<ChangeEvent> events(String table, List<List<Object>> values) {
        List<ChangeEvent> out = new ArrayList<>();
        for (List<Object> v : values) {
            out.add(ChangeEvent.upsert(table, new Object[] {v.get(0)}, v.toArray(), 0, Position.of((Long) v.get(0))));
        }
        return out;
    }
}
