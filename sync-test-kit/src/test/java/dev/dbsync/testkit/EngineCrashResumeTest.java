package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.RetryPolicy;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.internal.Checkpoint;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The engine's guarantee: killed at any point (before or after any write, after any flush) and restarted,
 * possibly several times and with the source changing meanwhile, the target ends equal to the source.
 */
class EngineCrashResumeTest {

    private static final TableSchema SCHEMA = new TableSchema("orders", List.of(
            Column.required("id", LogicalType.INT64),
            Column.of("name", LogicalType.STRING),
            Column.of("updated_at", LogicalType.INT64),
            Column.of("is_deleted", LogicalType.BOOLEAN)), List.of("id"));

    private long clock = 1_000;

    private MemorySource source(int rows) {
        MemorySource s = new MemorySource();
        s.createTable(SCHEMA);
        for (long id = 1; id <= rows; id++) {
            // Many rows share one cursor value so batch boundaries fall inside groups of equal timestamps.
            s.upsert("orders", id, "r" + id, clock + id / 10, false);
        }
        clock += rows;
        return s;
    }

    /** Random updates, soft deletes and inserts, as an application would make while the pipeline is down. */
    private void mutate(MemorySource s, SplittableRandom rnd, int n) {
        for (int i = 0; i < n; i++) {
            List<List<Object>> rows = s.rows("orders");
            long id = ((Number) rows.get(rnd.nextInt(rows.size())).get(0)).longValue();
            clock++;
            switch (rnd.nextInt(3)) {
                case 0:
                    s.upsert("orders", id, "updated " + clock, clock, false);
                    break;
                case 1:
                    s.upsert("orders", id, "deleted", clock, true);
                    break;
                default:
                    long nid = 10_000 + clock;
                    s.upsert("orders", nid, "new " + nid, clock, false);
            }
        }
    }

    private static List<List<Object>> live(MemorySource s) {
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> r : s.rows("orders")) {
            if (!Boolean.TRUE.equals(r.get(3))) {
                out.add(r);
            }
        }
        return out;
    }

    /** Rows between flushes: 0 = every batch, or several batches per flush. */
    private long flushRows;

    private SyncEngine engine(MemorySource source, Sink sink, CheckpointStore store, TableSync table) {
        return SyncEngine.builder().pipeline("crash").source(source).sink(sink).checkpointStore(store).table(table)
                .batchRows(7).queueCapacity(2).flushRows(flushRows).retryPolicy(RetryPolicy.none()).build();
    }

    @Test
    void killedAtEveryPointAndRestartedTheTargetEqualsTheSource() {
        killAtEveryPoint(15);
    }

    @Test
    void killedAtEveryPointWithSeveralBatchesPerFlush() {
        flushRows = 20;
        killAtEveryPoint(5);
    }

    private void killAtEveryPoint(int flushes) {
        TableSync table = TableSync.incremental(TableSpec.of("orders").withCursor("updated_at").withSoftDelete("is_deleted"));
        SplittableRandom rnd = new SplittableRandom(42);
        int scenarios = 0;
        for (CrashPoint point : CrashPoint.values()) {
            int writes = 15; // 100 rows in batches of 7
            for (int n = 1; n <= (point == CrashPoint.AFTER_FLUSH ? flushes : writes); n++) {
                MemorySource source = source(100);
                MemorySink sink = new MemorySink();
                CheckpointStore store = CheckpointStores.memory();
                // First run: backfill, killed at the n-th write/flush.
                CrashingSink crashing = new CrashingSink(sink, point, n);
                SyncReport first = engine(source, crashing, store, table).runOnce();
                assertTrue(crashing.crashed(), point + " " + n + ": the crash happened");
                assertFalse(first.succeeded());
                sink.loseUnflushed();
                mutate(source, rnd, 15);
                // Second run: killed again a little later, in the incremental or the resumed snapshot phase.
                CrashingSink again = new CrashingSink(sink, CrashPoint.values()[n % 3], 2);
                engine(source, again, store, table).runOnce();
                sink.loseUnflushed();
                mutate(source, rnd, 15);
                // Third run completes.
                SyncReport last = engine(source, sink, store, table).runOnce();
                assertTrue(last.succeeded(), last::toText);
                assertEquals(live(source), sink.rows("orders"), point + " " + n + ": target equals source");
                scenarios++;
            }
        }
        assertEquals(30 + flushes, scenarios);
    }

    @Test
    void aCheckpointIsOnlySavedAfterTheFlushThatCoversIt() {
        MemorySource source = source(200);
        MemorySink sink = new MemorySink();
        MemorySink[] sinkForCheck = {sink};
        List<String> violations = new ArrayList<>();
        CheckpointStore inner = CheckpointStores.memory();
        CheckpointStore checking = new CheckpointStore() {
            @Override
            public Lease acquire(String pipeline, String holder) {
                return inner.acquire(pipeline, holder);
            }

            @Override
            public void release(Lease lease) {
                inner.release(lease);
            }

            @Override
            public Optional<String> load(String pipeline, String t) {
                return inner.load(pipeline, t);
            }

            @Override
            public void save(Lease lease, String t, String text) {
                Checkpoint cp = Checkpoint.decode(text);
                if (cp.phase() == Checkpoint.Phase.SNAPSHOT && cp.snapshotAfter() != null) {
                    long upTo = ((Number) cp.snapshotAfter().get(0)).longValue();
                    long flushed = sinkForCheck[0].rows("orders").stream().filter(r -> ((Number) r.get(0)).longValue() <= upTo).count();
                    if (flushed != upTo) {
                        violations.add("checkpoint after key " + upTo + " saved with only " + flushed + " rows flushed");
                    }
                }
                inner.save(lease, t, text);
            }

            @Override
            public void clear(Lease lease, String t) {
                inner.clear(lease, t);
            }
        };
        SyncReport r = engine(source, sink, checking, TableSync.full(TableSpec.of("orders"))).runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(200, sink.rows("orders").size());
        assertTrue(sink.flushes() >= 200 / 7, "flushed per batch: " + sink.flushes());
        assertEquals(List.of(), violations);
        MemorySink fewer = new MemorySink();
        flushRows = 50;
        sinkForCheck[0] = fewer;
        Lease lease = inner.acquire("crash", "test");
        inner.clear(lease, "orders");
        inner.release(lease);
        assertTrue(engine(source, fewer, checking, TableSync.full(TableSpec.of("orders"))).runOnce().succeeded());
        assertEquals(200, fewer.rows("orders").size());
        assertEquals(4, fewer.flushes(), "flushRows 50 with batches of 7: flushes after 56, 112 and 168 rows, and one at the end");
        assertEquals(List.of(), violations);
        assertEquals(Checkpoint.Phase.DONE, Checkpoint.decode(inner.load("crash", "orders").orElseThrow()).phase());
    }

    @Test
    void cdcKilledMidStreamResumesWithNothingLost() {
        MemorySource source = source(50);
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        TableSync table = TableSync.cdc(TableSpec.of("orders").withSoftDelete("is_deleted"));
        SyncEngine.Builder b = SyncEngine.builder().pipeline("cdc").source(source).checkpointStore(store).table(table)
                .batchRows(7).retryPolicy(RetryPolicy.none()).streamIdle(java.time.Duration.ofMillis(200));
        SyncReport first = b.sink(sink).build().runOnce();
        assertTrue(first.succeeded(), first::toText);
        assertEquals(live(source), sink.rows("orders"));
        SplittableRandom rnd = new SplittableRandom(7);
        for (int round = 1; round <= 6; round++) {
            mutate(source, rnd, 40);
            source.delete("orders", ((Number) source.rows("orders").get(0).get(0)).longValue());
            CrashingSink crashing = new CrashingSink(sink, CrashPoint.values()[round % 3], 1);
            SyncReport crashed = SyncEngine.builder().pipeline("cdc").source(source).sink(crashing).checkpointStore(store)
                    .table(table).batchRows(7).retryPolicy(RetryPolicy.none())
                    .streamIdle(java.time.Duration.ofMillis(200)).build().runOnce();
            assertFalse(crashed.succeeded(), "round " + round + " crashed");
            sink.loseUnflushed();
            SyncReport resumed = SyncEngine.builder().pipeline("cdc").source(source).sink(sink).checkpointStore(store)
                    .table(table).batchRows(7).retryPolicy(RetryPolicy.none())
                    .streamIdle(java.time.Duration.ofMillis(200)).build().runOnce();
            assertTrue(resumed.succeeded(), resumed::toText);
            assertEquals(live(source), sink.rows("orders"), "round " + round + ": hard deletes too arrive through the feed");
        }
    }

    @Test
    void aTruncateInTheFeedAppliesBetweenTheChangesAroundIt() {
        MemorySource source = source(5);
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        TableSync table = TableSync.cdc(TableSpec.of("orders"));
        java.util.function.Supplier<SyncEngine> engine = () -> SyncEngine.builder().pipeline("trunc").source(source).sink(sink)
                .checkpointStore(store).table(table).streamIdle(java.time.Duration.ofMillis(200)).build();
        assertTrue(engine.get().runOnce().succeeded());
        source.upsert("orders", 100L, "before", 1L, false);
        source.truncate("orders");
        source.upsert("orders", 200L, "after", 2L, false);
        SyncReport r = engine.get().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(List.of(List.of(200L, "after", 2L, false)), sink.rows("orders"));
    }
}
