package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.WriteResult;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sink behaviour beyond the contract: rejected inserts, signed versions, JSON values, narrow existing columns. */
class ClickHouseSinkIT {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static ChConnection ch;

    @BeforeAll
    static void connect() {
        ch = ClickHouseTestSupport.connection();
    }

    @AfterAll
    static void close() {
        ch.close();
    }

    private static String name(String base) {
        return base + "_" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet();
    }

    private static String q(String table) {
        return Sql.table(ch.settings().database, table);
    }

    private static TableSchema idValue(String table, LogicalType valueType) {
        return new TableSchema(table, List.of(Column.required("id", LogicalType.INT64), Column.of("v", valueType)), List.of("id"));
    }

    private static ChangeEvent upsert(String table, long id, Object v, long version) {
        return ChangeEvent.upsert(table, new Object[] {id}, new Object[] {id, v}, version, Position.of(id));
    }

    private static Map<Long, Object> values(TableSchema s) {
        return values(ch, s);
    }

    private static Map<Long, Object> values(ChConnection conn, TableSchema s) {
        Map<Long, Object> out = new TreeMap<>();
        for (Map<String, Object> row : ClickHouseTestSupport.liveRows(conn, s, null)) {
            out.put(((Number) row.get("id")).longValue(), row.get("v"));
        }
        return out;
    }

    @Test
    void aRejectedInsertDiscardsTheTablesBufferAndLeavesOtherTablesFlushed() {
        String bad = name("rejecting");
        String good = name("accepting");
        // a constraint only the server checks: the row passes the sink's own checks and fails the INSERT
        ch.execute("CREATE TABLE " + q(bad) + " (id Int64, v Nullable(Int64), _version UInt64, _is_deleted UInt8,"
                + " CONSTRAINT non_negative CHECK ifNull(v, 0) >= 0) ENGINE = ReplacingMergeTree(_version, _is_deleted) ORDER BY id", bad);
        TableSchema b = idValue(bad, LogicalType.INT64);
        TableSchema g = idValue(good, LogicalType.INT64);
        try (ClickHouseSink sink = ClickHouseTestSupport.sink(); TableWriter wb = sink.open(b); TableWriter wg = sink.open(g)) {
            wb.write(Batch.of(b, List.of(upsert(bad, 1, 10L, 1), upsert(bad, 2, -5L, 1))));
            wg.write(Batch.of(g, List.of(upsert(good, 1, 1L, 1), upsert(good, 2, 2L, 1))));
            DataException e = assertThrows(DataException.class, wb::flush);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
            assertEquals(Map.of(), values(g), "the other table's writer keeps its rows until its own flush");
            wg.flush();
            assertEquals(Map.of(1L, 1L, 2L, 2L), values(g), "the other table is flushed although one failed");
            assertEquals(Map.of(), values(b));

            // the rejected rows are gone from the buffer: the engine rewrites the events in halves
            wb.flush();
            wb.write(Batch.of(b, List.of(upsert(bad, 1, 10L, 1))));
            wb.flush();
            wb.write(Batch.of(b, List.of(upsert(bad, 2, -5L, 1))));
            assertThrows(DataException.class, wb::flush);
            wb.write(Batch.of(b, List.of(upsert(bad, 3, 30L, 1))));
            wb.flush();
            assertEquals(Map.of(1L, 10L, 3L, 30L), values(b));
        }
    }

    @Test
    void anInsertTriggeredByWriteThatIsRejectedDiscardsTheBufferToo() {
        String bad = name("rejecting_write");
        ch.execute("CREATE TABLE " + q(bad) + " (id Int64, v Nullable(Int64), _version UInt64, _is_deleted UInt8,"
                + " CONSTRAINT non_negative CHECK ifNull(v, 0) >= 0) ENGINE = ReplacingMergeTree(_version, _is_deleted) ORDER BY id", bad);
        TableSchema b = idValue(bad, LogicalType.INT64);
        try (ClickHouseSink sink = ClickHouseTestSupport.sink(ClickHouseSettings.BATCH_ROWS, 2); TableWriter w = sink.open(b)) {
            assertThrows(DataException.class, () -> w.write(Batch.of(b, List.of(upsert(bad, 1, 1L, 1), upsert(bad, 2, -1L, 1)))));
            assertEquals(0, w.write(Batch.of(b, List.of(upsert(bad, 3, 3L, 1)))).failed().size());
            w.flush();
            assertEquals(Map.of(3L, 3L), values(b));
        }
    }

    @Test
    void aNegativeVersionLosesToALaterPositiveOne() throws Exception {
        String t = name("signed_versions");
        TableSchema s = idValue(t, LogicalType.STRING);
        try (ClickHouseSink sink = ClickHouseTestSupport.sink(); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, List.of(upsert(t, 1, "before 1970", -1), upsert(t, 2, "oldest", Long.MIN_VALUE))));
            w.flush();
            w.write(Batch.of(s, List.of(upsert(t, 1, "after", 5), upsert(t, 2, "zero", 0))));
            w.flush();
            // a replay of the old change must not win either
            w.write(Batch.of(s, List.of(upsert(t, 1, "before 1970", -1))));
            w.flush();
            assertEquals(Map.of(1L, "after", 2L, "zero"), values(s));
        }
        try (ClickHouseSource source = new ClickHouseSource(ClickHouseSettings.of(ClickHouseSettings.SOURCE.parse(ClickHouseTestSupport.config())))) {
            TableSpec spec = TableSpec.of(t).withCursor("id");
            TableSchema read = source.describe(spec);
            Chunk c = source.readChanges(spec, read, null, 100);
            // background merges may have dropped superseded rows already: check the newest version per key
            Map<Object, Long> newest = new TreeMap<>();
            for (ChangeEvent e : c.events()) {
                assertTrue(Arrays.asList(Long.MIN_VALUE, -1L, 0L, 5L).contains(e.version()), "version " + e.version());
                newest.merge(e.key().get(0), e.version(), Math::max);
            }
            assertEquals(Map.of(1L, 5L, 2L, 0L), newest, "the source reads the signed versions back");
        }
    }

    @Test
    void aJsonStringIsStoredAsAJsonStringEvenWhenItLooksLikeADocument() {
        String t = name("json_strings");
        TableSchema s = idValue(t, LogicalType.JSON);
        try (ClickHouseSink sink = ClickHouseTestSupport.sink(); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, List.of(upsert(t, 1, "{\"a\": 1}", 0), upsert(t, 2, Map.of("a", 1), 0),
                    upsert(t, 3, "[1, 2]", 0), upsert(t, 4, List.of(1, 2), 0))));
            w.flush();
        }
        assertEquals("\"{\\\"a\\\": 1}\"", ClickHouseTestSupport.text(ch, "SELECT v FROM " + q(t) + " FINAL WHERE id = 1"));
        Map<Long, Object> v = values(s);
        assertEquals("{\"a\": 1}", v.get(1L));
        assertEquals(Map.of("a", 1), v.get(2L));
        assertEquals("[1, 2]", v.get(3L));
        assertEquals(List.of(1, 2), v.get(4L));
    }

    @Test
    void theJsonTypeRejectsArraysAndScalarsPerRowAndStoresNullAsAnEmptyObject() {
        String t = name("json_type");
        TableSchema s = idValue(t, LogicalType.JSON);
        try (ClickHouseSink sink = ClickHouseTestSupport.sink(ClickHouseSettings.JSON_TYPE, "JSON"); TableWriter w = sink.open(s)) {
            WriteResult r = w.write(Batch.of(s, List.of(upsert(t, 1, Map.of("a", 1), 0), upsert(t, 2, List.of(1), 0),
                    upsert(t, 3, "text", 0), upsert(t, 4, 42, 0), upsert(t, 5, null, 0))));
            List<Object> failedKeys = new ArrayList<>();
            r.failed().forEach(f -> failedKeys.add(f.event().key().get(0)));
            assertEquals(List.of(2L, 3L, 4L), failedKeys);
            assertTrue(r.failed().get(0).reason().contains("column 'v'") && r.failed().get(0).reason().contains("json.type"),
                    r.failed().get(0).reason());
            w.flush();
        }
        Map<Long, Object> v;
        try (ChConnection jsonReader = new ChConnection(ClickHouseTestSupport.sinkSettings(ClickHouseSettings.JSON_TYPE, "JSON"))) {
            v = values(jsonReader, s);
        }
        assertEquals(List.of(1L, 5L), new ArrayList<>(v.keySet()));
        assertEquals(Map.of(), v.get(5L));
    }

    @Test
    void valuesOutOfTheRangeOfANarrowerExistingColumnAreRejectedPerRow() {
        String t = name("narrow");
        ch.execute("CREATE TABLE " + q(t) + " (id Int64, i8 Int8, u16 UInt16, i32 Int32, u32 UInt32, u64 UInt64, d Date,"
                + " _version UInt64, _is_deleted UInt8) ENGINE = ReplacingMergeTree(_version, _is_deleted) ORDER BY id", t);
        TableSchema s = new TableSchema(t, List.of(Column.required("id", LogicalType.INT64), Column.required("i8", LogicalType.INT32),
                Column.required("u16", LogicalType.INT32), Column.required("i32", LogicalType.INT64),
                Column.required("u32", LogicalType.INT64), Column.required("u64", LogicalType.INT64),
                Column.required("d", LogicalType.DATE)), List.of("id"));
        LocalDate ok = LocalDate.of(2024, 5, 1);
        List<ChangeEvent> rows = List.of(
                row(t, 1, 127, 65535, (long) Integer.MIN_VALUE, 4_294_967_295L, Long.MAX_VALUE, ok),
                row(t, 2, 128, 0, 0L, 0L, 0L, ok),
                row(t, 3, 0, -1, 0L, 0L, 0L, ok),
                row(t, 4, 0, 0, 1L << 31, 0L, 0L, ok),
                row(t, 5, 0, 0, 0L, 1L << 32, 0L, ok),
                row(t, 6, 0, 0, 0L, 0L, -1L, ok),
                row(t, 7, 0, 0, 0L, 0L, 0L, LocalDate.of(1969, 12, 31)),
                row(t, 8, 0, 0, 0L, 0L, 0L, LocalDate.of(2200, 1, 1)));
        try (ClickHouseSink sink = ClickHouseTestSupport.sink(); TableWriter w = sink.open(s)) {
            WriteResult r = w.write(Batch.of(s, rows));
            List<Object> failedKeys = new ArrayList<>();
            r.failed().forEach(f -> failedKeys.add(f.event().key().get(0)));
            assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L), failedKeys);
            assertTrue(r.failed().get(0).reason().contains("column 'i8'") && r.failed().get(0).reason().contains("Int8"),
                    r.failed().get(0).reason());
            assertTrue(r.failed().get(6).reason().contains("column 'd'"), r.failed().get(6).reason());
            w.flush();
        }
        List<Map<String, Object>> live = ClickHouseTestSupport.liveRows(ch, s, null);
        assertEquals(1, live.size());
        assertEquals(127, ((Number) live.get(0).get("i8")).intValue());
        assertEquals(65535, ((Number) live.get(0).get("u16")).intValue());
        assertEquals(4_294_967_295L, ((Number) live.get(0).get("u32")).longValue());
        assertEquals(String.valueOf(Long.MAX_VALUE), ClickHouseTestSupport.text(ch, "SELECT toString(u64) FROM " + q(t) + " FINAL"));
    }

    private static ChangeEvent row(String t, long id, int i8, int u16, long i32, long u32, long u64, LocalDate d) {
        return ChangeEvent.upsert(t, new Object[] {id}, new Object[] {id, i8, u16, i32, u32, u64, d}, 0, Position.of(id));
    }
}
