package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Source} fulfils. A connector's test extends this class and says how to create
 * and change tables in its real database; the suite reads them back through the source.
 */
public abstract class SourceContractTest {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String RUN = Long.toString(System.currentTimeMillis() % 100_000, 36);
    private final List<Source> opened = new ArrayList<>();

    /** A new source connected to the test server; the suite closes it. */
    protected abstract Source newSource();

    /**
     * Creates the table in the source database from the logical schema (whose name is a plain base name) and
     * returns the name the source's {@link TableSpec} expects (e.g. {@code public.base}).
     */
    protected abstract String createTable(String baseName, TableSchema schema);

    /** Inserts or updates rows (values aligned with the schema's columns). */
    protected abstract void upsertRows(String table, TableSchema schema, List<List<Object>> rows);

    /** Deletes rows for good by key. */
    protected abstract void deleteRows(String table, TableSchema schema, List<List<Object>> keys);

    /** A write in progress whose rows readers see only once it {@link #commit() commits}. */
    protected interface LateWrite {
        /** Makes the rows visible. */
        void commit();
    }

    /**
     * Begins writing {@code rows} the way a writer that commits late does in this database: an open transaction
     * whose rows carry the cursor values given (taken before other writers commit newer ones), visible to readers
     * only at {@link LateWrite#commit()}. A database without transactions makes rows visible late in its own way
     * (e.g. until a refresh) and does that here; its README says how its source's safe bound covers it.
     */
    protected abstract LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows);

    @AfterEach
    void closeSources() {
        opened.forEach(Source::close);
        opened.clear();
    }

    private Source source() {
        Source s = newSource();
        opened.add(s);
        return s;
    }

    /** id BIGINT key, name TEXT, updated_at TIMESTAMPTZ, is_deleted BOOLEAN. */
    protected static TableSchema schema(String name) {
        return new TableSchema(name, List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("name", LogicalType.STRING),
                new Column("updated_at", LogicalType.TIMESTAMP_TZ, true, 6, 0, null, null),
                Column.of("is_deleted", LogicalType.BOOLEAN)), List.of("id"));
    }

    private String newTable(String base) {
        String name = "sc_" + base + "_" + RUN + "_" + SEQ.incrementAndGet();
        return createTable(name, schema(name));
    }

    private static List<Object> row(long id, String name, Instant at, boolean deleted) {
        return TestValues.row(id, name, at, deleted);
    }

    /** The current time at microsecond precision, after the clock moved past the previous call. */
    private static Instant now() {
        Instant t = Instant.now().truncatedTo(ChronoUnit.MICROS);
        sleep(3);
        return t;
    }

    /**
     * How far behind the present a source's incremental reads stop when its safe bound is a lag (e.g. a
     * database without transactions, where rows become visible late for at most that long): the suite waits this
     * long before it expects a written row to be read. Default zero: the source knows its open writers.
     */
    protected Duration safeBoundLag() {
        return Duration.ZERO;
    }

    /** Waits until rows written so far can be read: a moment, plus the source's {@link #safeBoundLag()}. */
    private void settle() {
        sleep(20 + safeBoundLag().toMillis());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long id(ChangeEvent e) {
        return ((Number) e.key().get(0)).longValue();
    }

    @Test
    void describeReportsColumnsTypesAndKey() {
        String t = newTable("describe");
        TableSchema s = source().describe(TableSpec.of(t));
        assertEquals(List.of("id", "name", "updated_at", "is_deleted"), s.columnNames());
        assertEquals(List.of("id"), s.primaryKey());
        assertEquals(LogicalType.INT64, s.column("id").type());
        assertEquals(LogicalType.STRING, s.column("name").type());
        assertEquals(LogicalType.TIMESTAMP_TZ, s.column("updated_at").type());
        assertEquals(LogicalType.BOOLEAN, s.column("is_deleted").type());
    }

    @Test
    void aMissingTableOrColumnIsNamedInTheError() {
        SyncException e = assertThrows(SyncException.class, () -> source().describe(TableSpec.of("no_such_table_" + RUN)));
        assertTrue(e.getMessage().contains("no_such_table_" + RUN), e.getMessage());
        String t = newTable("badcursor");
        SyncException c = assertThrows(SyncException.class, () -> source().describe(TableSpec.of(t).withCursor("no_such_column")));
        assertTrue(c.getMessage().contains("no_such_column"), c.getMessage());
    }

    /** Every source snapshots; the engine resumes from the position of any event, also inside a chunk. */
    @Test
    void snapshotReadsInChunksAndResumesMidway() {
        String t = newTable("snapshot");
        TableSchema s = schema(t);
        Instant at = now();
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 1; id <= 250; id++) {
            rows.add(row(id * 3, "n" + id, at, id % 50 == 0));
        }
        upsertRows(t, s, rows);
        Source source = source();
        TableSpec spec = TableSpec.of(t).withSoftDelete("is_deleted");
        TableSchema schema = source.describe(spec);
        List<ChangeEvent> all = new ArrayList<>();
        Position after = null;
        Position middle = null;
        int chunks = 0;
        while (true) {
            Chunk c = source.readSnapshot(spec, schema, after, 40);
            assertTrue(c.events().size() <= 40, "a chunk holds at most maxRows events");
            all.addAll(c.events());
            chunks++;
            if (c.next() != null) {
                after = c.next();
            }
            if (chunks == 3) {
                middle = Position.decode(after.encode());
            }
            if (c.last()) {
                break;
            }
            assertTrue(chunks < 100, "the snapshot ends");
        }
        assertEquals(250, all.size(), "every row once");
        long prev = -1;
        for (ChangeEvent e : all) {
            assertTrue(id(e) > prev, "key order without duplicates");
            prev = id(e);
            boolean softDeleted = id(e) % 150 == 0;
            assertEquals(softDeleted ? Operation.DELETE : Operation.UPSERT, e.operation(), "operation of key " + id(e));
        }
        // Resume from the position saved after the third chunk: exactly the rest.
        List<ChangeEvent> rest = new ArrayList<>();
        after = middle;
        while (true) {
            Chunk c = source.readSnapshot(spec, schema, after, 40);
            rest.addAll(c.events());
            after = c.next() == null ? after : c.next();
            if (c.last()) {
                break;
            }
        }
        assertEquals(ids(all.subList(120, 250)), ids(rest), "exactly the rest after the third chunk");
        // The engine checkpoints the position of the last event of a batch, which may lie inside a chunk.
        Position inside = Position.decode(all.get(57).position().encode());
        List<ChangeEvent> fromInside = new ArrayList<>();
        after = inside;
        while (true) {
            Chunk c = source.readSnapshot(spec, schema, after, 40);
            fromInside.addAll(c.events());
            after = c.next() == null ? after : c.next();
            if (c.last()) {
                break;
            }
        }
        assertEquals(ids(all.subList(58, 250)), ids(fromInside), "exactly the rows after the event whose position was saved");
    }

    private static List<Long> ids(List<ChangeEvent> events) {
        List<Long> out = new ArrayList<>();
        events.forEach(e -> out.add(id(e)));
        return out;
    }

    private List<ChangeEvent> readAllChanges(Source source, TableSpec spec, TableSchema schema, Position[] from, int chunk) {
        List<ChangeEvent> out = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Chunk c = source.readChanges(spec, schema, from[0], chunk);
            out.addAll(c.events());
            if (c.next() != null) {
                from[0] = Position.decode(c.next().encode());
            }
            if (c.last()) {
                return out;
            }
        }
        fail("incremental reads never caught up");
        return out;
    }

    @Test
    void incrementalNeverSkipsRowsSharingOneTimestampAcrossChunkBoundaries() {
        String t = newTable("ties");
        TableSchema s = schema(t);
        Source source = source();
        TableSpec spec = TableSpec.of(t).withCursor("updated_at").withSoftDelete("is_deleted");
        TableSchema schema = source.describe(spec);
        Position[] from = {source.changesStart(spec, schema)};
        Instant same = now();
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 1; id <= 100; id++) {
            rows.add(row(id, "same " + id, same, false));
        }
        upsertRows(t, s, rows);
        settle();
        List<ChangeEvent> first = readAllChanges(source, spec, schema, from, 7);
        Set<Long> ids = new HashSet<>();
        first.forEach(e -> assertTrue(ids.add(id(e)), "key " + id(e) + " read twice"));
        assertEquals(100, ids.size(), "all 100 rows sharing one timestamp, read 7 at a time");
        // Ten of them change later; only they come next.
        Instant later = now();
        List<List<Object>> changed = new ArrayList<>();
        for (long id = 41; id <= 50; id++) {
            changed.add(row(id, "changed " + id, later, false));
        }
        upsertRows(t, s, changed);
        settle();
        List<ChangeEvent> second = readAllChanges(source, spec, schema, from, 3);
        List<Long> secondIds = new ArrayList<>();
        second.forEach(e -> secondIds.add(id(e)));
        assertEquals(List.of(41L, 42L, 43L, 44L, 45L, 46L, 47L, 48L, 49L, 50L), secondIds);
        assertEquals("changed 41", second.get(0).values().get(1));
        assertTrue(readAllChanges(source, spec, schema, from, 3).isEmpty(), "nothing new after catching up");
    }

    @Test
    void softDeletedRowsBecomeDeleteEvents() {
        String t = newTable("soft");
        TableSchema s = schema(t);
        Source source = source();
        TableSpec spec = TableSpec.of(t).withCursor("updated_at").withSoftDelete("is_deleted");
        TableSchema schema = source.describe(spec);
        Position[] from = {source.changesStart(spec, schema)};
        Instant t1 = now();
        upsertRows(t, s, List.of(row(1, "a", t1, false), row(2, "b", t1, false)));
        settle();
        assertEquals(2, readAllChanges(source, spec, schema, from, 10).size());
        upsertRows(t, s, List.of(row(2, "b", now(), true)));
        settle();
        List<ChangeEvent> events = readAllChanges(source, spec, schema, from, 10);
        assertEquals(1, events.size());
        assertEquals(Operation.DELETE, events.get(0).operation());
        assertEquals(2L, id(events.get(0)));
    }

    /**
     * A row written by a transaction that started before a newer row committed, and committed after that row was
     * read, must still be read: the source stops at a safe bound while such a writer is open.
     */
    @Test
    void rowsOfALateCommittingWriterAreNotSkipped() {
        String t = newTable("late");
        TableSchema s = schema(t);
        Source source = source();
        TableSpec spec = TableSpec.of(t).withCursor("updated_at");
        TableSchema schema = source.describe(spec);
        Position[] from = {source.changesStart(spec, schema)};
        upsertRows(t, s, List.of(row(1, "before", now(), false)));
        LateWrite late = beginLateWrite(t, s, List.of(row(2, "late", now(), false)));
        sleep(30);
        upsertRows(t, s, List.of(row(3, "after", now(), false)));
        sleep(30);
        List<ChangeEvent> events = new ArrayList<>(readAllChanges(source, spec, schema, from, 10));
        late.commit();
        settle();
        events.addAll(readAllChanges(source, spec, schema, from, 10));
        Set<Long> seen = new HashSet<>(ids(events));
        assertEquals(Set.of(1L, 2L, 3L), seen, "every committed row is read, the late writer's too; read: " + ids(events));
    }

    @Test
    void resumesFromACheckpointedPositionWithNothingLostOrDoubled() {
        String t = newTable("resume");
        TableSchema s = schema(t);
        Source first = source();
        TableSpec spec = TableSpec.of(t).withCursor("updated_at");
        TableSchema schema = first.describe(spec);
        Position start = first.changesStart(spec, schema);
        List<List<Object>> rows = new ArrayList<>();
        for (long id = 1; id <= 60; id++) {
            rows.add(row(id, "r" + id, now(), false));
        }
        upsertRows(t, s, rows);
        settle();
        Chunk c = first.readChanges(spec, schema, start, 25);
        assertEquals(25, c.events().size());
        String saved = c.next().encode();
        // the engine may also save the position of an event inside a chunk
        String savedInside = c.events().get(9).position().encode();
        first.close();
        opened.remove(first);
        Source second = source();
        Position[] from = {Position.decode(saved)};
        List<ChangeEvent> rest = readAllChanges(second, spec, schema, from, 25);
        List<Long> expected = new ArrayList<>();
        for (long id = 26; id <= 60; id++) {
            expected.add(id);
        }
        assertEquals(expected, ids(rest), "exactly the rows after the saved position, once each");
        Position[] inside = {Position.decode(savedInside)};
        List<ChangeEvent> restInside = readAllChanges(second, spec, schema, inside, 25);
        List<Long> expectedInside = new ArrayList<>();
        for (long id = 11; id <= 60; id++) {
            expectedInside.add(id);
        }
        assertEquals(expectedInside, ids(restInside), "exactly the rows after an event inside a chunk");
    }

    @Test
    void theEngineCopiesTheTableAndFollowsChanges() {
        String t = newTable("engine");
        TableSchema s = schema(t);
        List<List<Object>> rows = new ArrayList<>();
        Instant at = now();
        for (long id = 1; id <= 300; id++) {
            rows.add(row(id, "r" + id, at, false));
        }
        upsertRows(t, s, rows);
        settle();
        MemorySink sink = new MemorySink();
        var store = CheckpointStores.memory();
        TableSync table = TableSync.incremental(TableSpec.of(t).withCursor("updated_at").withSoftDelete("is_deleted"))
                .withTarget("copy");
        SyncReport r1 = SyncEngine.builder().source(source()).sink(sink).checkpointStore(store).table(table)
                .batchRows(64).build().runOnce();
        assertTrue(r1.succeeded(), r1::toText);
        assertEquals(300, sink.rows("copy").size());
        upsertRows(t, s, List.of(row(5, "five v2", now(), false), row(6, "six", now(), true), row(301, "new", now(), false)));
        deleteRows(t, s, List.of(TestValues.row(7L)));
        settle();
        SyncReport r2 = SyncEngine.builder().source(source()).sink(sink).checkpointStore(store).table(table)
                .batchRows(64).build().runOnce();
        assertTrue(r2.succeeded(), r2::toText);
        assertEquals(3, r2.rowsRead(), "an incremental run reads only the changed rows: " + r2.toText());
        assertEquals(2, r2.upserted());
        assertEquals(1, r2.deleted());
        List<List<Object>> target = sink.rows("copy");
        assertEquals(300, target.size(), "300 - soft-deleted 6 + new 301 (hard-deleted 7 is invisible to cursors)");
        assertTrue(target.stream().anyMatch(r -> ((Number) r.get(0)).longValue() == 5 && "five v2".equals(r.get(1))));
        assertTrue(target.stream().noneMatch(r -> ((Number) r.get(0)).longValue() == 6));
    }
}
