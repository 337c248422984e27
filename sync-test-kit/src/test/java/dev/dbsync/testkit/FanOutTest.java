package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.DeadLetter;
import dev.dbsync.engine.DeadLetterHandler;
import dev.dbsync.engine.RetryPolicy;
import dev.dbsync.engine.SinkLagPolicy;
import dev.dbsync.engine.SinkReport;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A pipeline with several sinks: one read, every sink equal to the source, sinks added, detached and paused. */
class FanOutTest {

    private static final TableSchema ITEMS = new TableSchema("items", List.of(
            Column.required("id", LogicalType.INT64),
            Column.of("name", LogicalType.STRING),
            Column.of("updated_at", LogicalType.INT64),
            Column.of("is_deleted", LogicalType.BOOLEAN)), List.of("id"));
    private static final TableSchema EVENTS = new TableSchema("events", List.of(
            Column.required("id", LogicalType.INT64),
            Column.of("name", LogicalType.STRING),
            Column.of("updated_at", LogicalType.INT64),
            Column.of("is_deleted", LogicalType.BOOLEAN)), List.of("id"));

    private static final TableSync INCREMENTAL =
            TableSync.incremental(TableSpec.of("items").withCursor("updated_at").withSoftDelete("is_deleted"));
    private static final TableSync CDC = TableSync.cdc(TableSpec.of("events").withSoftDelete("is_deleted"));

    /** Counts snapshot and incremental reads, to show the source is read once whatever the number of sinks. */
    static class CountingSource extends MemorySource {
        final AtomicInteger snapshotRows = new AtomicInteger();
        final AtomicInteger changeRows = new AtomicInteger();

        @Override
        public synchronized Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
            Chunk c = super.readSnapshot(spec, schema, after, maxRows);
            snapshotRows.addAndGet(c.events().size());
            return c;
        }

        @Override
        public synchronized Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
            Chunk c = super.readChanges(spec, schema, after, maxRows);
            changeRows.addAndGet(c.events().size());
            return c;
        }
    }

    /** A sink that can be taken down: every call then fails as a lost connection would. */
    static final class Switchable extends ForwardingSink {
        final AtomicBoolean down = new AtomicBoolean();
        final AtomicInteger calls = new AtomicInteger();

        Switchable(Sink delegate) {
            super(delegate);
        }

        private void check() {
            calls.incrementAndGet();
            if (down.get()) {
                throw new RetriableException("connection refused (the sink is down)");
            }
        }

        @Override
        public TableWriter open(TableSchema schema) {
            check();
            return super.open(schema);
        }

        @Override
        protected WriteResult write(TableWriter w, Batch batch) {
            check();
            return super.write(w, batch);
        }

        @Override
        protected void flush(TableWriter w, TableSchema table) {
            check();
            super.flush(w, table);
        }
    }

    /** Records, per key of "events", the names written to a sink, in order. */
    static final class Recording extends ForwardingSink {
        final Map<Object, List<String>> names = new java.util.concurrent.ConcurrentHashMap<>();

        Recording(Sink delegate) {
            super(delegate);
        }

        @Override
        protected WriteResult write(TableWriter w, Batch batch) {
            if (batch.schema().name().equals("events")) {
                for (dev.dbsync.spi.ChangeEvent e : batch.events()) {
                    if (e.operation() == dev.dbsync.spi.Operation.UPSERT) {
                        names.computeIfAbsent(e.key().get(0), k -> Collections.synchronizedList(new ArrayList<>()))
                                .add((String) e.values().get(1));
                    }
                }
            }
            return super.write(w, batch);
        }

        /** The change rounds of row 5's names ("changed N"), in the order written. */
        List<Integer> rounds() {
            List<Integer> out = new ArrayList<>();
            for (String n : names.getOrDefault(5L, List.of())) {
                out.add(n.startsWith("changed ") ? Integer.parseInt(n.substring(8)) : 0);
            }
            return out;
        }
    }

    private static boolean equalToSource(MemorySource s, MemorySink sink) {
        return live(s, "items").equals(sink.rows("items")) && live(s, "events").equals(sink.rows("events"));
    }

    private static void await(String what, java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static CountingSource source(int rows) {
        CountingSource s = new CountingSource();
        s.createTable(ITEMS);
        s.createTable(EVENTS);
        for (long id = 1; id <= rows; id++) {
            s.upsert("items", id, "item " + id, id, false);
            s.upsert("events", id, "event " + id, id, false);
        }
        return s;
    }

    private static void change(MemorySource s, long round) {
        long base = 1000 * round;
        s.upsert("items", 3L, "changed " + round, base + 1, false);
        s.upsert("items", 4L, "item 4", base + 2, true); // soft delete
        s.upsert("items", 500L + round, "new " + round, base + 3, false);
        s.upsert("events", 5L, "changed " + round, base + 1, false);
        s.delete("events", 6L + round);
        s.upsert("events", 600L + round, "new " + round, base + 3, false);
    }

    private static SyncEngine.Builder engine(MemorySource source, CheckpointStore store) {
        return SyncEngine.builder().pipeline("fan").source(source).checkpointStore(store).batchRows(7)
                .table(INCREMENTAL).table(CDC).streamIdle(Duration.ofMillis(150))
                .retryPolicy(new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2), 0.0));
    }

    /** The source's live rows of a table (soft-deleted ones left out), in key order. */
    private static List<List<Object>> live(MemorySource s, String table) {
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> r : s.rows(table)) {
            if (!Boolean.TRUE.equals(r.get(3))) {
                out.add(r);
            }
        }
        return out;
    }

    private static void assertEqualToSource(MemorySource s, MemorySink sink, String name) {
        assertEquals(live(s, "items"), sink.rows("items"), "items in sink " + name);
        assertEquals(live(s, "events"), sink.rows("events"), "events in sink " + name);
    }

    @Test
    void oneReadFeedsEverySinkAndEachEqualsTheSource() {
        CountingSource single = source(100);
        MemorySink alone = new MemorySink();
        SyncReport r1 = engine(single, CheckpointStores.memory()).sink(alone).build().runOnce();
        assertTrue(r1.succeeded(), r1::toText);

        CountingSource src = source(100);
        MemorySink a = new MemorySink();
        MemorySink b = new MemorySink().versioned();
        MemorySink c = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        SyncReport r = engine(src, store).sink("a", a).sink("b", b).sink("c", c).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        for (MemorySink s : List.of(a, b, c)) {
            assertEqualToSource(src, s, s.toString());
        }
        assertEquals(single.snapshotRows.get(), src.snapshotRows.get(), "three sinks read the snapshot once, like one sink");
        assertEquals(single.changeRows.get(), src.changeRows.get());
        assertEquals(List.of("a", "b", "c"), r.sinks().stream().map(SinkReport::sink).toList());
        for (SinkReport s : r.sinks()) {
            assertEquals(SinkReport.State.CURRENT, s.state(), r::toText);
            assertEquals(r.sinks().get(0).upserted(), s.upserted(), r::toText);
        }
        assertTrue(r.toText().contains("sink"), r::toText);

        change(src, 1);
        int reads = src.changeRows.get();
        SyncReport again = engine(src, store).sink("a", a).sink("b", b).sink("c", c).build().runOnce();
        assertTrue(again.succeeded(), again::toText);
        for (MemorySink s : List.of(a, b, c)) {
            assertEqualToSource(src, s, s.toString());
        }
        assertEquals(3, src.changeRows.get() - reads, "the three changed rows of items are read once for three sinks");
    }

    @Test
    void aSinkAddedLaterIsSnapshottedAloneWhileTheOthersOnlyGetChanges() {
        CountingSource src = source(60);
        MemorySink a = new MemorySink();
        MemorySink b = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).sink("b", b).build().runOnce().succeeded());
        change(src, 1);
        MemorySink c = new MemorySink();
        long writesA = a.writes();
        SyncReport r = engine(src, store).sink("a", a).sink("b", b).sink("c", c).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(SinkReport.State.BACKFILLED, r.sink("c").state(), r::toText);
        assertEquals(SinkReport.State.CURRENT, r.sink("a").state(), r::toText);
        assertTrue(r.sink("c").upserted() >= 119, "c got both tables' snapshot: " + r.toText());
        assertTrue(r.sink("a").upserted() < 20, "a got only changes, no second snapshot: " + r.toText());
        assertTrue(a.writes() - writesA < 10, "a was written a few batches of changes only");
        for (MemorySink s : List.of(a, b, c)) {
            assertEqualToSource(src, s, s.toString());
        }
        // and from now on c moves with the others
        change(src, 2);
        SyncReport next = engine(src, store).sink("a", a).sink("b", b).sink("c", c).build().runOnce();
        assertTrue(next.succeeded(), next::toText);
        assertEquals(SinkReport.State.CURRENT, next.sink("c").state(), next::toText);
        for (MemorySink s : List.of(a, b, c)) {
            assertEqualToSource(src, s, s.toString());
        }
    }

    @Test
    void aSinkDownPastTheLagIsDetachedTheOthersGoOnAndItIsSnapshottedAgainWhenBack() {
        CountingSource src = source(50);
        MemorySink a = new MemorySink();
        MemorySink bTarget = new MemorySink();
        Switchable b = new Switchable(bTarget);
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).sink("b", b).build().runOnce().succeeded());

        b.down.set(true);
        change(src, 1);
        SyncReport r = engine(src, store).sink("a", a).sink("b", b).sinkMaxLag(Duration.ofMillis(200)).build().runOnce();
        assertFalse(r.succeeded(), "a detached sink is not a success: " + r.toText());
        assertEquals(SinkReport.State.DETACHED, r.sink("b").state(), r::toText);
        assertTrue(r.sink("b").error().contains("sink 'b'") && r.sink("b").error().contains("connection refused"), r::toText);
        assertTrue(r.tables().stream().allMatch(t -> t.succeeded()), "the tables went on for sink a: " + r.toText());
        assertEqualToSource(src, a, "a");

        // still down: it stays behind, a goes on
        change(src, 2);
        SyncReport still = engine(src, store).sink("a", a).sink("b", b).sinkMaxLag(Duration.ofMillis(200)).build().runOnce();
        assertEquals(SinkReport.State.BEHIND, still.sink("b").state(), still::toText);
        assertEqualToSource(src, a, "a");

        b.down.set(false);
        change(src, 3);
        SyncReport back = engine(src, store).sink("a", a).sink("b", b).build().runOnce();
        assertTrue(back.succeeded(), back::toText);
        assertEquals(SinkReport.State.BACKFILLED, back.sink("b").state(), back::toText);
        assertEqualToSource(src, a, "a");
        assertEqualToSource(src, bTarget, "b");
    }

    @Test
    void underThePausePolicyNothingMovesOnUntilTheSinkIsBack() {
        CountingSource src = source(40);
        MemorySink a = new MemorySink();
        MemorySink bTarget = new MemorySink();
        Switchable b = new Switchable(bTarget);
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).sink("b", b).build().runOnce().succeeded());
        b.down.set(true);
        change(src, 1);
        SyncReport r = engine(src, store).sink("a", a).sink("b", b).sinkLagPolicy(SinkLagPolicy.PAUSE)
                .sinkMaxLag(Duration.ofMillis(100)).build().runOnce();
        assertFalse(r.succeeded(), r::toText);
        assertTrue(r.toText().contains("sink 'b'"), r::toText);
        assertTrue(r.sinks().stream().noneMatch(s -> s.state() == SinkReport.State.DETACHED), r::toText);
        b.down.set(false);
        SyncReport back = engine(src, store).sink("a", a).sink("b", b).sinkLagPolicy(SinkLagPolicy.PAUSE).build().runOnce();
        assertTrue(back.succeeded(), back::toText);
        assertEquals(SinkReport.State.CURRENT, back.sink("b").state(), "never detached, so no snapshot of its own: " + back.toText());
        assertEqualToSource(src, a, "a");
        assertEqualToSource(src, bTarget, "b");
    }

    @Test
    void aRowOneSinkRefusesIsDeadLetteredNamingThatSinkAndTheOtherSinkHasIt() {
        CountingSource src = source(30);
        MemorySink a = new MemorySink();
        MemorySink b = new MemorySink().rejecting(e -> "items".equals(e.table()) && ((Number) e.key().get(0)).longValue() == 17);
        List<DeadLetter> dead = Collections.synchronizedList(new ArrayList<>());
        SyncReport r = engine(src, CheckpointStores.memory()).sink("a", a).sink("b", b).deadLetterHandler(dead::add)
                .build().runOnce();
        assertTrue(r.tables().stream().allMatch(t -> t.succeeded()), r::toText);
        assertEquals(1, r.table("items").failed(), r::toText);
        assertEquals(1, dead.size());
        assertTrue(dead.get(0).reason().startsWith("sink 'b'"), dead.get(0).reason());
        assertEquals(30, a.rows("items").size(), "sink a has the row b refused");
        assertEquals(29, b.rows("items").size());
        assertEquals(1, r.sink("b").failed(), r::toText);
        assertEquals(0, r.sink("a").failed(), r::toText);
    }

    @Test
    void eachSinkMayNameItsTablesItsOwnWay() {
        CountingSource src = source(10);
        MemorySink a = new MemorySink();
        MemorySink b = new MemorySink();
        SyncReport r = engine(src, CheckpointStores.memory()).sink("a", a).sink("b", b, Map.of("items", "cache_items"))
                .build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(live(src, "items"), b.rows("cache_items"));
        assertEquals(live(src, "items"), a.rows("items"));
    }

    @Test
    void namesAreCheckedAndASingleSinkIsNotMixedWithNamedOnes() {
        CountingSource src = source(1);
        IllegalArgumentException twice = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> engine(src, CheckpointStores.memory()).sink("a", new MemorySink()).sink("a", new MemorySink()).build());
        assertTrue(twice.getMessage().contains("'a'") && twice.getMessage().contains("twice"), twice.getMessage());
        IllegalArgumentException mixed = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> engine(src, CheckpointStores.memory()).sink(new MemorySink()).sink("a", new MemorySink()).build());
        assertTrue(mixed.getMessage().contains("name every sink"), mixed.getMessage());
    }

    @Test
    void aSinkRemovedFromThePipelineIsReleasedAndTheOthersGoOn() {
        CountingSource src = source(20);
        MemorySink a = new MemorySink();
        MemorySink b = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).sink("b", b).build().runOnce().succeeded());
        change(src, 1);
        SyncReport r = engine(src, store).sink("a", a).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(SinkReport.State.CURRENT, r.sink("a").state());
        assertEqualToSource(src, a, "a");
        // b comes back later: it was released, so it is snapshotted again rather than trusted
        change(src, 2);
        SyncReport back = engine(src, store).sink("a", a).sink("b", b).build().runOnce();
        assertEquals(SinkReport.State.BACKFILLED, back.sink("b").state(), back::toText);
        assertEqualToSource(src, b, "b");
    }

    @Test
    void aVersionedSinkSnapshottedAgainIsEmptiedFirstSoItsOldVersionsCannotWin() {
        CountingSource src = source(30);
        MemorySink a = new MemorySink();
        MemorySink bTarget = new MemorySink().versioned();
        Switchable b = new Switchable(bTarget);
        CheckpointStore store = CheckpointStores.memory();
        // the pipeline keeps its targets on fresh snapshots; a sink's own snapshot after a detach must not
        assertTrue(engine(src, store).sink("a", a).sink("b", b).truncateBeforeSnapshot(false).build().runOnce().succeeded());
        b.down.set(true);
        change(src, 1);
        SyncReport r = engine(src, store).sink("a", a).sink("b", b).truncateBeforeSnapshot(false)
                .sinkMaxLag(Duration.ofMillis(100)).build().runOnce();
        assertEquals(SinkReport.State.DETACHED, r.sink("b").state(), r::toText);
        b.down.set(false);
        change(src, 2);
        SyncReport back = engine(src, store).sink("a", a).sink("b", b).truncateBeforeSnapshot(false).build().runOnce();
        assertEquals(SinkReport.State.BACKFILLED, back.sink("b").state(), back::toText);
        assertEqualToSource(src, a, "a");
        assertEqualToSource(src, bTarget, "b");
    }

    @Test
    void aSinkThatCannotTruncateIsNotDetachedByAFreshSnapshotOfTheOthers() {
        CountingSource src = source(20);
        MemorySink a = new MemorySink();
        MemorySink bTarget = new MemorySink();
        Sink b = new ForwardingSink(bTarget) {
            @Override
            public java.util.Set<dev.dbsync.spi.SinkCapability> capabilities() {
                java.util.Set<dev.dbsync.spi.SinkCapability> c = java.util.EnumSet.copyOf(bTarget.capabilities());
                c.remove(dev.dbsync.spi.SinkCapability.TRUNCATE);
                return c;
            }
        };
        CheckpointStore store = CheckpointStores.memory();
        TableSync full = TableSync.full(TableSpec.of("items"));
        for (int run = 0; run < 2; run++) {
            SyncReport r = SyncEngine.builder().pipeline("fan-full").source(src).checkpointStore(store).table(full)
                    .sink("a", a).sink("b", b).build().runOnce();
            assertTrue(r.succeeded(), r::toText);
            assertEquals(SinkReport.State.CURRENT, r.sink("b").state(), "run " + run + ": " + r.toText());
        }
        assertEquals(live(src, "items").size(), a.rows("items").size());
        assertEquals(live(src, "items").size(), bTarget.rows("items").size());
    }

    @Test
    void theOthersKeepStreamingWhileAnAddedSinkIsSnapshottedAndItJoinsAtTheirPositionWithoutOlderValuesForAnyone() throws Exception {
        CountingSource src = source(60);
        MemorySink aTarget = new MemorySink();
        Recording a = new Recording(aTarget);
        MemorySink b = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).sink("b", b).build().runOnce().succeeded());
        change(src, 1);
        long acknowledged = src.acknowledged();

        MemorySink cTarget = new MemorySink();
        GatedSink cGated = new GatedSink(cTarget, "events");
        Recording c = new Recording(cGated);
        try (SyncEngine e = engine(src, store).sink("a", a).sink("b", b).sink("c", c).pollInterval(Duration.ofMillis(50)).build()) {
            e.start();
            try {
                assertTrue(cGated.entered.await(20, TimeUnit.SECONDS), "c's snapshot of events began");
                // c's snapshot of events was read before these changes and waits; a and b get them meanwhile
                change(src, 2);
                await("a and b equal the source while c is being snapshotted", () -> equalToSource(src, aTarget) && equalToSource(src, b));
                assertEquals(1, cGated.gate.getCount(), "c is still being snapshotted");
                assertFalse(equalToSource(src, cTarget));
                assertEquals(acknowledged, src.acknowledged(), "the feed is not acknowledged past where c's snapshot began");
                SyncReport during = e.lastReport();
                if (during != null && during.sink("c") != null) {
                    assertEquals(SinkReport.State.BEHIND, during.sink("c").state(), during::toText);
                    assertTrue(during.sink("c").error().contains("being snapshotted on its own"), during::toText);
                }
            } finally {
                cGated.gate.countDown();
            }
            // c is brought from where its snapshot began up to a and b, then goes on with them
            await("c joins and equals the source", () -> equalToSource(src, cTarget)
                    && e.lastReport() != null && e.lastReport().sink("c").succeeded());
            change(src, 3);
            await("every sink equals the source", () -> equalToSource(src, aTarget) && equalToSource(src, b) && equalToSource(src, cTarget));
            await("the feed is acknowledged again", () -> src.acknowledged() > acknowledged);
        }
        // nobody was sent an older value of row 5 again: a had round 2 before c joined, and never got round 1 after it
        for (Recording r : List.of(a, c)) {
            List<Integer> rounds = r.rounds();
            for (int i = 1; i < rounds.size(); i++) {
                assertTrue(rounds.get(i) >= rounds.get(i - 1), "row 5's names went back: " + rounds);
            }
        }
        assertEquals(3, a.rounds().get(a.rounds().size() - 1));
        assertTrue(c.rounds().containsAll(List.of(2, 3)), "c got changes 2 (by the catch-up) and 3: " + c.rounds());
    }

    @Test
    void anAddedSinkStoppedDuringItsSnapshotResumesItAndIsBroughtUpFromWhereItBegan() throws Exception {
        CountingSource src = source(60);
        MemorySink a = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).build().runOnce().succeeded());
        change(src, 1);
        long acknowledged = src.acknowledged();
        MemorySink cTarget = new MemorySink();
        GatedSink c = new GatedSink(cTarget, "events");
        SyncEngine first = engine(src, store).sink("a", a).sink("c", c).pollInterval(Duration.ofMillis(50)).build();
        first.start();
        assertTrue(c.entered.await(20, TimeUnit.SECONDS));
        change(src, 2);
        await("a equals the source", () -> equalToSource(src, a));
        Thread stopper = new Thread(() -> first.stop()); // not closed: that would close the source and sinks it shares
        stopper.start();
        Thread.sleep(100);
        c.gate.countDown(); // the write in progress completes; the snapshot stops after it
        stopper.join(20_000);
        assertFalse(stopper.isAlive());
        assertEquals(acknowledged, src.acknowledged(), "nothing acknowledged past where c's snapshot began");
        assertFalse(equalToSource(src, cTarget));

        change(src, 3);
        SyncReport r = engine(src, store).sink("a", a).sink("c", c).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(SinkReport.State.BACKFILLED, r.sink("c").state(), r::toText);
        assertEqualToSource(src, a, "a");
        assertEqualToSource(src, cTarget, "c");
        assertTrue(src.acknowledged() > acknowledged, "acknowledged again once c joined");
    }

    @Test
    void withAFeedWhosePositionsHaveNoOrderTheOthersWaitForAnAddedSinkAndAllEndEqual() throws Exception {
        CountingSource src = new CountingSource() {
            @Override
            public java.util.Optional<java.util.Comparator<Position>> positionOrder() {
                return java.util.Optional.empty();
            }
        };
        src.createTable(ITEMS);
        src.createTable(EVENTS);
        for (long id = 1; id <= 60; id++) {
            src.upsert("items", id, "item " + id, id, false);
            src.upsert("events", id, "event " + id, id, false);
        }
        MemorySink a = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).build().runOnce().succeeded());
        change(src, 1);
        MemorySink cTarget = new MemorySink();
        GatedSink c = new GatedSink(cTarget, "events");
        try (SyncEngine e = engine(src, store).sink("a", a).sink("c", c).pollInterval(Duration.ofMillis(50)).build()) {
            e.start();
            assertTrue(c.entered.await(20, TimeUnit.SECONDS));
            change(src, 2);
            Thread.sleep(300);
            assertFalse(equalToSource(src, a), "a waits while c is snapshotted (the feed cannot bring c up to it later)");
            c.gate.countDown();
            await("every sink equals the source", () -> equalToSource(src, a) && equalToSource(src, cTarget));
        }
    }

    @Test
    void aSinkThatStaysDownDoesNotHoldTheFeedBackAndIsSnapshottedWhenItIsBack() {
        CountingSource src = source(40);
        MemorySink a = new MemorySink();
        MemorySink bTarget = new MemorySink();
        Switchable b = new Switchable(bTarget);
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).sink("b", b).build().runOnce().succeeded());
        b.down.set(true);
        change(src, 1);
        SyncReport detached = engine(src, store).sink("a", a).sink("b", b).sinkMaxLag(Duration.ofMillis(200)).build().runOnce();
        assertEquals(SinkReport.State.DETACHED, detached.sink("b").state(), detached::toText);
        // b's snapshot on its own is tried in each run and fails while it is down; the feed is acknowledged regardless
        for (int round = 2; round <= 4; round++) {
            change(src, round);
            long before = src.acknowledged();
            SyncReport r = engine(src, store).sink("a", a).sink("b", b).sinkMaxLag(Duration.ofMillis(200)).build().runOnce();
            assertEquals(SinkReport.State.BEHIND, r.sink("b").state(), r::toText);
            assertEqualToSource(src, a, "a");
            assertTrue(src.acknowledged() > before, "round " + round + ": the feed moves on for a while b is down: " + r.toText());
        }
        b.down.set(false);
        change(src, 5);
        SyncReport back = engine(src, store).sink("a", a).sink("b", b).build().runOnce();
        assertEquals(SinkReport.State.BACKFILLED, back.sink("b").state(), back::toText);
        assertEqualToSource(src, a, "a");
        assertEqualToSource(src, bTarget, "b");
    }

    @Test
    void aSinkWithItsOwnDeadLetterHandlerGetsTheRowsItRefusesAndThePipelinesHandlerDoesNot() {
        CountingSource src = source(30);
        MemorySink a = new MemorySink();
        MemorySink b = new MemorySink().rejecting(e -> "items".equals(e.table()) && ((Number) e.key().get(0)).longValue() % 10 == 7);
        List<DeadLetter> own = Collections.synchronizedList(new ArrayList<>());
        // the pipeline's handler is the default one, which fails the table on the first rejected row
        SyncReport r = engine(src, CheckpointStores.memory()).sink("a", a).sink("b", b, Map.of(), own::add).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(3, own.size(), "rows 7, 17 and 27 went to b's own handler");
        for (DeadLetter d : own) {
            assertTrue(d.reason().startsWith("sink 'b'"), d.reason());
            assertEquals("items", d.table());
        }
        assertEquals(List.of(7L, 17L, 27L), own.stream().map(d -> ((Number) d.event().key().get(0)).longValue()).sorted().toList());
        assertEquals(3, r.sink("b").failed(), r::toText);
        assertEquals(0, r.sink("a").failed(), r::toText);
        assertEquals(30, a.rows("items").size(), "a keeps the rows b refused");
        assertEquals(27, b.rows("items").size());

        // a handler of its own that fails fast stops the table, naming the sink and the key
        MemorySink c = new MemorySink().rejecting(e -> "items".equals(e.table()) && ((Number) e.key().get(0)).longValue() == 5);
        SyncReport failed = engine(source(30), CheckpointStores.memory()).sink("a", new MemorySink())
                .sink("c", c, Map.of(), dev.dbsync.engine.DeadLetterHandler.failFast()).build().runOnce();
        assertFalse(failed.table("items").succeeded(), failed::toText);
        assertTrue(failed.table("items").error().contains("sink 'c'") && failed.table("items").error().contains("[5]"), failed::toText);
    }

    @Test
    void anAddedSinkGetsThePlainFullTablesWhenItJoinsAndTheOthersRefreshThemOnceARun() {
        CountingSource src = source(25);
        MemorySink a = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        TableSync full = TableSync.full(TableSpec.of("items"));
        SyncEngine.Builder one = SyncEngine.builder().pipeline("fanfull").source(src).checkpointStore(store).batchRows(7)
                .table(full).table(CDC).streamIdle(Duration.ofMillis(150));
        assertTrue(one.sink("a", a).build().runOnce().succeeded());
        change(src, 1);
        MemorySink c = new MemorySink();
        int snapshotRowsBefore = src.snapshotRows.get();
        SyncReport r = SyncEngine.builder().pipeline("fanfull").source(src).checkpointStore(store).batchRows(7)
                .table(full).table(CDC).streamIdle(Duration.ofMillis(150)).sink("a", a).sink("c", c).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(SinkReport.State.BACKFILLED, r.sink("c").state(), r::toText);
        for (MemorySink s : List.of(a, c)) {
            assertEquals(src.rows("items"), s.rows("items"), "the full table in " + s);
            assertEquals(live(src, "events"), s.rows("events"), "events in " + s);
        }
        // items read twice (the run's refresh for a, then c's at its join), events once (c's own snapshot)
        assertEquals(2 * src.rows("items").size() + src.rows("events").size(), src.snapshotRows.get() - snapshotRowsBefore);
    }

    @Test
    void aSinkSoSlowItHoldsTheOthersBackPastTheLagIsDetachedAndTheOthersGoOn() {
        CountingSource src = source(40);
        MemorySink a = new MemorySink();
        MemorySink bTarget = new MemorySink();
        AtomicBoolean slow = new AtomicBoolean();
        AtomicInteger lateWrites = new AtomicInteger();
        CountDownLatch answer = new CountDownLatch(1);
        Sink b = new ForwardingSink(bTarget) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                if (slow.get()) {
                    try {
                        answer.await(); // answers, but only when the test lets it: far later than the lag allows
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    lateWrites.incrementAndGet();
                }
                return super.write(w, batch);
            }
        };
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).sink("b", b).build().runOnce().succeeded());
        slow.set(true);
        change(src, 1);
        List<SyncReport> reports = Collections.synchronizedList(new ArrayList<>());
        try (SyncEngine e = engine(src, store).sink("a", a).sink("b", b).sinkMaxLag(Duration.ofMillis(200))
                .pollInterval(Duration.ofMillis(50)).listener(new dev.dbsync.engine.SyncListener() {
                    @Override
                    public void onRunFinished(SyncReport report) {
                        reports.add(report);
                    }
                }).build()) {
            e.start();
            await("b is detached", () -> reports.stream().anyMatch(r -> r.sink("b").state() == SinkReport.State.DETACHED));
            await("a equals the source while b's write has not returned", () -> equalToSource(src, a));
            assertEquals(0, lateWrites.get());
            slow.set(false); // b answers in time again
            await("b is reported waiting for the call it was detached for", () -> reports.stream().anyMatch(r ->
                    r.sink("b").state() == SinkReport.State.BEHIND && r.sink("b").error().contains("the call it was detached for still runs")));
            answer.countDown(); // ... which now returns
            await("b is snapshotted on its own and rejoins", () -> reports.stream()
                    .anyMatch(r -> r.sink("b").state() == SinkReport.State.BACKFILLED));
            change(src, 2);
            await("both equal the source", () -> equalToSource(src, a) && equalToSource(src, bTarget));
        }
        SyncReport detached = reports.stream().filter(r -> r.sink("b").state() == SinkReport.State.DETACHED).findFirst().orElseThrow();
        assertTrue(detached.sink("b").error().contains("took longer than sink.max.lag"), detached::toText);
        assertTrue(lateWrites.get() >= 1, "the slow writes (one per table being written) ended after b was detached");
    }

    @Test
    void aSinkRemovedDuringItsSnapshotOnItsOwnStartsAfreshWhenItReturns() throws Exception {
        CountingSource src = source(60);
        MemorySink a = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(src, store).sink("a", a).build().runOnce().succeeded());
        change(src, 1);
        MemorySink cTarget = new MemorySink();
        GatedSink c = new GatedSink(cTarget, "events");
        SyncEngine first = engine(src, store).sink("a", a).sink("c", c).pollInterval(Duration.ofMillis(50)).build();
        first.start();
        assertTrue(c.entered.await(20, TimeUnit.SECONDS));
        change(src, 2);
        await("a equals the source", () -> equalToSource(src, a));
        Thread stopper = new Thread(() -> first.stop());
        stopper.start();
        Thread.sleep(100);
        c.gate.countDown();
        stopper.join(20_000);

        // c is taken out of the pipeline: what it held is released, and the feed moves on
        change(src, 3);
        SyncReport without = engine(src, store).sink("a", a).build().runOnce();
        assertTrue(without.succeeded(), without::toText);
        assertEqualToSource(src, a, "a");
        change(src, 4);
        assertTrue(engine(src, store).sink("a", a).build().runOnce().succeeded());

        // ... and when it returns, it is snapshotted afresh, not resumed from a position the feed no longer has
        change(src, 5);
        SyncReport back = engine(src, store).sink("a", a).sink("c", cTarget).build().runOnce();
        assertEquals(SinkReport.State.BACKFILLED, back.sink("c").state(), back::toText);
        assertEqualToSource(src, a, "a");
        assertEqualToSource(src, cTarget, "c");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
