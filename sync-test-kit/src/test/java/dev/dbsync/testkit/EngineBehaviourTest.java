package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.DeadLetterHandler;
import dev.dbsync.engine.RetryPolicy;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncListener;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reports, retries, dead letters, strategies and continuous mode of the engine. */
class EngineBehaviourTest {

    private static final TableSchema SCHEMA = new TableSchema("items", List.of(
            Column.required("id", LogicalType.INT64),
            Column.of("name", LogicalType.STRING),
            Column.of("updated_at", LogicalType.INT64),
            Column.of("is_deleted", LogicalType.BOOLEAN)), List.of("id"));

    private static MemorySource source(int rows) {
        MemorySource s = new MemorySource();
        s.createTable(SCHEMA);
        for (long id = 1; id <= rows; id++) {
            s.upsert("items", id, "item " + id, 100L, false);
        }
        return s;
    }

    private static SyncEngine.Builder engine(MemorySource source, dev.dbsync.spi.Sink sink, CheckpointStore store) {
        return SyncEngine.builder().pipeline("behaviour").source(source).sink(sink).checkpointStore(store).batchRows(10)
                .retryPolicy(new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5), 0.5));
    }

    private static final TableSync INCREMENTAL =
            TableSync.incremental(TableSpec.of("items").withCursor("updated_at").withSoftDelete("is_deleted"));

    @Test
    void theReportCountsReadsUpsertsDeletesAndAnIncrementalRunReadsOnlyChanges() {
        MemorySource source = new MemorySource();
        source.createTable(SCHEMA);
        for (long id = 1; id <= 95; id++) {
            source.upsert("items", id, "item " + id, id, false);
        }
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        SyncReport first = engine(source, sink, store).table(INCREMENTAL).build().runOnce();
        TableReport t = first.table("items");
        assertTrue(t.succeeded());
        assertTrue(t.snapshot());
        // The backfill, then the incremental catch-up from the cursor bound taken before it: the memory
        // source's bound is inclusive, so the one row at the highest cursor value is read twice (harmless).
        assertEquals(95 + 1, t.rowsRead(), first::toText);
        assertEquals(96, t.upserted());
        assertEquals(0, t.deleted());
        assertTrue(t.rowsPerSecond() > 0);
        source.upsert("items", 3L, "changed", 200L, false);
        source.upsert("items", 4L, "item 4", 201L, true);
        source.upsert("items", 96L, "new", 202L, false);
        SyncReport second = engine(source, sink, store).table(INCREMENTAL).build().runOnce();
        TableReport t2 = second.table("items");
        assertFalse(t2.snapshot());
        assertEquals(3, t2.rowsRead(), second::toText);
        assertEquals(2, t2.upserted());
        assertEquals(1, t2.deleted());
        assertEquals(95, sink.rows("items").size());
        SyncReport third = engine(source, sink, store).table(INCREMENTAL).build().runOnce();
        assertEquals(0, third.rowsRead(), "nothing changed: " + third.toText());
    }

    @Test
    void transientErrorsAreRetriedWithBackoffAndCounted() {
        MemorySource source = source(30);
        MemorySink real = new MemorySink();
        AtomicInteger calls = new AtomicInteger();
        dev.dbsync.spi.Sink flaky = new ForwardingSink(real) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                if (calls.incrementAndGet() % 3 != 0) {
                    throw new RetriableException("connection reset");
                }
                return super.write(w, batch);
            }
        };
        SyncReport r = engine(source, flaky, CheckpointStores.memory()).table(TableSync.full(TableSpec.of("items"))).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(30, real.rows("items").size());
        assertEquals(6, r.table("items").retries(), "two retries for each of three batches");
    }

    @Test
    void batchesCarryTheirCheckpointOnlyWhenThePipelinesStoreIsTheSinksOwn() {
        CheckpointStore own = CheckpointStores.memory();
        List<Boolean> carried = java.util.Collections.synchronizedList(new ArrayList<>());
        dev.dbsync.spi.Sink keeping = new ForwardingSink(new MemorySink()) {
            @Override
            public java.util.Optional<CheckpointStore> checkpointStore() {
                return java.util.Optional.of(own);
            }

            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                carried.add(batch.checkpoint().isPresent());
                assertEquals(java.util.Optional.of("behaviour"), batch.pipeline(), "every batch names its pipeline");
                return super.write(w, batch);
            }
        };
        SyncReport elsewhere = engine(source(30), keeping, CheckpointStores.memory()).table(TableSync.full(TableSpec.of("items")))
                .build().runOnce();
        assertTrue(elsewhere.succeeded(), elsewhere::toText);
        assertEquals(List.of(false, false, false), carried, "checkpoints kept elsewhere: no batch hands the sink another store's lease");
        carried.clear();
        SyncReport inSink = engine(source(30), keeping, own).table(TableSync.full(TableSpec.of("items"))).build().runOnce();
        assertTrue(inSink.succeeded(), inSink::toText);
        assertEquals(List.of(true, true, true), carried, "checkpoints kept in the sink: every batch carries its own");
    }

    @Test
    void retriesAreBoundedAndTheTableFailsNamingTheOperation() {
        MemorySource source = source(5);
        dev.dbsync.spi.Sink dead = new ForwardingSink(new MemorySink()) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                throw new RetriableException("connection refused");
            }
        };
        SyncReport r = engine(source, dead, CheckpointStores.memory()).table(TableSync.full(TableSpec.of("items"))).build().runOnce();
        assertFalse(r.succeeded());
        String error = r.table("items").error();
        assertTrue(error.contains("items") && error.contains("after 4 attempts") && error.contains("connection refused"), error);
    }

    @Test
    void badRecordsAreIsolatedCountedAndWrittenAsDeadLetters(@TempDir Path dir) throws Exception {
        MemorySource source = source(100);
        MemorySink sink = new MemorySink().rejecting(e -> {
            long id = ((Number) e.key().get(0)).longValue();
            return id == 13 || id == 57 || id == 58;
        });
        Path file = dir.resolve("dead.jsonl");
        SyncReport r = engine(source, sink, CheckpointStores.memory()).table(TableSync.full(TableSpec.of("items")))
                .deadLetterHandler(DeadLetterHandler.jsonl(file, 10)).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(3, r.table("items").failed());
        assertEquals(97, r.table("items").upserted());
        assertEquals(97, sink.rows("items").size(), "every good row of the batches with bad ones is written");
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals("items", first.get("table").asText());
        assertEquals(13, first.get("key").get(0).asLong());
        assertEquals("item 13", first.get("values").get(1).asText());
        assertTrue(first.get("reason").asText().contains("key [13]"));
    }

    @Test
    void aBufferingSinkThatRefusesAtFlushGetsItsBadRecordsIsolated() {
        MemorySource source = source(100);
        List<Long> dead = Collections.synchronizedList(new ArrayList<>());
        MemorySink sink = new MemorySink();
        RefusingAtFlushSink refusing = new RefusingAtFlushSink(sink, id -> id % 40 == 13);
        SyncReport r = engine(source, refusing, CheckpointStores.memory()).table(TableSync.full(TableSpec.of("items")))
                .batchRows(7).flushRows(30)
                .deadLetterHandler(letter -> dead.add(((Number) letter.event().key().get(0)).longValue())).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(List.of(13L, 53L, 93L), dead);
        assertEquals(3, r.table("items").failed());
        assertEquals(97, r.table("items").upserted(), r::toText);
        assertEquals(97, sink.rows("items").size());
    }

    @Test
    void byDefaultABadRecordFailsTheTableNamingTableAndKey() {
        MemorySource source = source(20);
        MemorySink sink = new MemorySink().rejecting(e -> ((Number) e.key().get(0)).longValue() == 17);
        SyncReport r = engine(source, sink, CheckpointStores.memory()).table(TableSync.full(TableSpec.of("items"))).build().runOnce();
        assertFalse(r.succeeded());
        String error = r.table("items").error();
        assertTrue(error.contains("'items'") && error.contains("[17]"), error);
        assertEquals(1, r.table("items").failed());
    }

    @Test
    void logAndSkipStopsAfterItsLimit() {
        MemorySource source = source(50);
        MemorySink sink = new MemorySink().rejecting(e -> ((Number) e.key().get(0)).longValue() % 10 == 0);
        SyncReport r = engine(source, sink, CheckpointStores.memory()).table(TableSync.full(TableSpec.of("items")))
                .deadLetterHandler(DeadLetterHandler.logAndSkip(3)).build().runOnce();
        assertFalse(r.succeeded());
        assertTrue(r.table("items").error().contains("more than 3"), r.table("items").error());
    }

    @Test
    void aFullTableIsSnapshotEveryRunAndHardDeletesDisappear() {
        MemorySource source = source(40);
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        TableSync full = TableSync.full(TableSpec.of("items"));
        assertTrue(engine(source, sink, store).table(full).build().runOnce().succeeded());
        source.delete("items", 7L);
        source.delete("items", 8L);
        SyncReport second = engine(source, sink, store).table(full).build().runOnce();
        assertEquals(38, second.table("items").rowsRead());
        assertEquals(38, sink.rows("items").size(), "the truncating snapshot removed hard-deleted rows");
    }

    @Test
    void aFullTableContinuingIncrementallySnapshotsOnce() {
        MemorySource source = source(40);
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        TableSync t = new TableSync(TableSpec.of("items").withCursor("updated_at"), dev.dbsync.engine.Strategy.FULL, "copy", true);
        assertTrue(engine(source, sink, store).table(t).build().runOnce().succeeded());
        source.upsert("items", 41L, "new", 300L, false);
        SyncReport second = engine(source, sink, store).table(t).build().runOnce();
        assertFalse(second.table("items").snapshot());
        assertEquals(1, second.table("items").rowsRead());
        assertEquals(41, sink.rows("copy").size());
    }

    @Test
    void tablesRunInParallelAndListenersSeeProgress() {
        MemorySource source = new MemorySource();
        List<TableSync> tables = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String name = "t" + t;
            source.createTable(SCHEMA.withName(name));
            for (long id = 1; id <= 55; id++) {
                source.upsert(name, id, "x", 1L, false);
            }
            tables.add(TableSync.full(TableSpec.of(name)));
        }
        MemorySink sink = new MemorySink();
        List<SyncListener.Progress> progress = Collections.synchronizedList(new ArrayList<>());
        List<TableReport> finished = Collections.synchronizedList(new ArrayList<>());
        SyncReport r = SyncEngine.builder().source(source).sink(sink).checkpointStore(CheckpointStores.memory())
                .tables(tables).parallelism(3).batchRows(10)
                .listener(new SyncListener() {
                    @Override
                    public void onProgress(Progress p) {
                        progress.add(p);
                    }

                    @Override
                    public void onTableFinished(String pipeline, TableReport report) {
                        finished.add(report);
                    }
                }).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(4 * 55, r.rowsRead());
        assertEquals(4, finished.size());
        for (int t = 0; t < 4; t++) {
            assertEquals(55, sink.rows("t" + t).size());
        }
        SyncListener.Progress last = progress.stream().filter(p -> p.table().equals("t0")).reduce((a, b) -> b).orElseThrow();
        assertEquals(55, last.rowsWritten());
        assertEquals(55, last.estimatedTotal());
    }

    @Test
    void continuousModePollsAndStopsGracefully() throws Exception {
        MemorySource source = source(10);
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        SyncEngine engine = engine(source, sink, store).table(INCREMENTAL).pollInterval(Duration.ofMillis(50)).build();
        engine.start();
        assertTrue(engine.isRunning());
        waitFor(() -> sink.rows("items").size() == 10);
        source.upsert("items", 11L, "later", 500L, false);
        waitFor(() -> sink.rows("items").size() == 11);
        engine.stop(Duration.ofSeconds(10));
        assertFalse(engine.isRunning());
        assertEquals(dev.dbsync.internal.Checkpoint.Phase.CHANGES,
                dev.dbsync.internal.Checkpoint.decode(store.load("behaviour", "items").orElseThrow()).phase());
        engine.close();
        assertThrows(IllegalStateException.class, engine::runOnce);
    }

    @Test
    void readsAndBatchesAreBoundedByBytesForWideRows() {
        String wide = "x".repeat(100_000);
        List<Integer> asked = Collections.synchronizedList(new ArrayList<>());
        MemorySource source = new MemorySource() {
            @Override
            public dev.dbsync.spi.Chunk readSnapshot(TableSpec spec, TableSchema schema, dev.dbsync.spi.Position after, int maxRows) {
                asked.add(maxRows);
                return super.readSnapshot(spec, schema, after, maxRows);
            }
        };
        source.createTable(SCHEMA);
        for (long id = 1; id <= 300; id++) {
            source.upsert("items", id, wide, 1L, false);
        }
        List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        MemorySink inner = new MemorySink();
        dev.dbsync.spi.Sink sink = new ForwardingSink(inner) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                batchSizes.add(batch.events().size());
                return super.write(w, batch);
            }
        };
        long batchBytes = 2L << 20;
        SyncReport r = SyncEngine.builder().source(source).sink(sink).checkpointStore(CheckpointStores.memory())
                .table(TableSync.full(TableSpec.of("items"))).batchRows(10_000).batchBytes(batchBytes).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(300, inner.rows("items").size());
        long rowBytes = 2L * wide.length();
        int fit = (int) (batchBytes / rowBytes) + 1;
        assertTrue(asked.subList(1, asked.size()).stream().allMatch(n -> n <= fit), "reads after the first fit the byte bound: " + asked);
        assertTrue(batchSizes.stream().allMatch(n -> n <= fit), "batches fit the byte bound: " + batchSizes);
    }

    @Test
    void aCdcSnapshotCarriesVersionZeroSoTheFeedAlwaysWins() {
        MemorySource source = source(20);
        List<Long> versions = Collections.synchronizedList(new ArrayList<>());
        dev.dbsync.spi.Sink sink = new ForwardingSink(new MemorySink()) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                batch.events().forEach(e -> versions.add(e.version()));
                return super.write(w, batch);
            }
        };
        TableSync cdc = TableSync.cdc(TableSpec.of("items").withCursor("updated_at"));
        SyncReport r = engine(source, sink, CheckpointStores.memory()).table(cdc).streamIdle(Duration.ofMillis(100))
                .build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(20, versions.size());
        assertTrue(versions.stream().allMatch(v -> v == 0), "snapshot versions: " + versions);
    }

    @Test
    void continuousModeStreamsCdcTables() throws Exception {
        MemorySource source = source(5);
        MemorySink sink = new MemorySink();
        SyncEngine engine = engine(source, sink, CheckpointStores.memory()).table(TableSync.cdc(TableSpec.of("items")))
                .pollInterval(Duration.ofMillis(100)).build();
        engine.start();
        try {
            waitFor(() -> sink.rows("items").size() == 5);
            source.upsert("items", 6L, "streamed", 1L, false);
            source.delete("items", 1L);
            waitFor(() -> sink.rows("items").size() == 5 && sink.rows("items").stream()
                    .anyMatch(r -> Long.valueOf(6L).equals(r.get(0))));
            waitFor(() -> engine.lastReport() != null);
            assertTrue(engine.lastReport().succeeded(), engine.lastReport()::toText);
        } finally {
            engine.close();
        }
    }

    @Test
    void stopThenStartNeverRunsTwoLoopsAndRunsDoNotOverlap() throws Exception {
        MemorySource source = source(3);
        java.util.concurrent.CountDownLatch inWrite = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        MemorySink inner = new MemorySink();
        dev.dbsync.spi.Sink sink = new ForwardingSink(inner) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                inWrite.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.write(w, batch);
            }
        };
        SyncEngine engine = engine(source, sink, CheckpointStores.memory()).table(INCREMENTAL)
                .pollInterval(Duration.ofMillis(50)).build();
        engine.start();
        assertTrue(inWrite.await(10, java.util.concurrent.TimeUnit.SECONDS));
        engine.stop(Duration.ofMillis(50));
        assertTrue(engine.isRunning(), "still finishing its batch");
        assertThrows(IllegalStateException.class, engine::start, "no second loop while the first is stopping");
        assertThrows(IllegalStateException.class, engine::runOnce, "no run beside the loop");
        release.countDown();
        waitFor(() -> !engine.isRunning());
        long loops = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("dbsync-behaviour")).count();
        assertEquals(0, loops);
        assertEquals(3, inner.rows("items").size(), "the batch being written when stop came was completed");
        engine.close();
    }

    @Test
    void aStopLeavesTheTargetsOfFullTablesNotYetStartedAlone() {
        MemorySource source = new MemorySource();
        List<TableSync> tables = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            source.createTable(SCHEMA.withName("t" + t));
            for (long id = 1; id <= 30; id++) {
                source.upsert("t" + t, id, "x", 1L, false);
            }
            tables.add(TableSync.full(TableSpec.of("t" + t)));
        }
        List<String> truncated = Collections.synchronizedList(new ArrayList<>());
        MemorySink inner = new MemorySink();
        dev.dbsync.spi.Sink sink = new ForwardingSink(inner) {
            @Override
            protected void truncate(TableWriter w, TableSchema schema) {
                truncated.add(schema.name());
                super.truncate(w, schema);
            }
        };
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(SyncEngine.builder().source(source).sink(sink).checkpointStore(store).tables(tables).build().runOnce()
                .succeeded());
        truncated.clear();
        java.util.concurrent.atomic.AtomicReference<SyncEngine> ref = new java.util.concurrent.atomic.AtomicReference<>();
        SyncEngine engine = SyncEngine.builder().source(source).sink(sink).checkpointStore(store).tables(tables)
                .parallelism(2).listener(new SyncListener() {
                    @Override
                    public void onTableFinished(String pipeline, TableReport report) {
                        ref.get().stop();
                    }
                }).build();
        ref.set(engine);
        engine.runOnce();
        assertTrue(truncated.size() <= 2, "only tables already started were reloaded: " + truncated);
        for (int t = 0; t < 4; t++) {
            if (!truncated.contains("t" + t)) {
                assertEquals(30, inner.rows("t" + t).size(), "t" + t + " was not started and keeps its rows");
            }
        }
        // a reload cut short by the stop resumes where it stopped on the next run
        assertTrue(SyncEngine.builder().source(source).sink(sink).checkpointStore(store).tables(tables).build().runOnce()
                .succeeded());
        for (int t = 0; t < 4; t++) {
            assertEquals(30, inner.rows("t" + t).size());
        }
    }

    @Test
    void aChangedTableConfigurationIsNotTrustedToAnOldCheckpoint() {
        MemorySource source = source(10);
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(source, sink, store).table(TableSync.full(TableSpec.of("items"))).build().runOnce().succeeded());
        // switched to CDC: the DONE checkpoint of the full strategy must not let the feed start without a snapshot
        source.upsert("items", 1L, "changed while switching", 100L, false);
        source.upsert("items", 11L, "new while switching", 100L, false);
        TableSync cdc = TableSync.cdc(TableSpec.of("items"));
        SyncReport r = engine(source, sink, store).table(cdc).streamIdle(Duration.ofMillis(100)).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertTrue(r.table("items").snapshot(), "a fresh snapshot: " + r.toText());
        assertEquals(source.rows("items"), sink.rows("items"));
    }

    @Test
    void aCdcTableLeftOutOfTheFeedForAWhileIsSnapshottedAgain() {
        MemorySource source = new MemorySource();
        source.createTable(SCHEMA);
        source.createTable(SCHEMA.withName("other"));
        source.upsert("items", 1L, "a", 1L, false);
        source.upsert("other", 1L, "x", 1L, false);
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        TableSync items = TableSync.cdc(TableSpec.of("items"));
        TableSync other = TableSync.cdc(TableSpec.of("other"));
        assertTrue(engine(source, sink, store).table(items).table(other).streamIdle(Duration.ofMillis(100)).build()
                .runOnce().succeeded());
        // "items" leaves the pipeline; its changes flow by in the feed while it is out
        source.upsert("items", 2L, "b", 2L, false);
        source.upsert("other", 2L, "y", 2L, false);
        assertTrue(engine(source, sink, store).table(other).streamIdle(Duration.ofMillis(100)).build().runOnce().succeeded());
        SyncReport back = engine(source, sink, store).table(items).table(other).streamIdle(Duration.ofMillis(100)).build()
                .runOnce();
        assertTrue(back.succeeded(), back::toText);
        assertEquals(source.rows("items"), sink.rows("items"), "nothing of the pause is lost");
    }

    @Test
    void invalidEngineSettingsFailBeforeAnythingRuns() {
        MemorySource source = source(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine(source, new MemorySink(), CheckpointStores.memory()).table(INCREMENTAL).batchRows(0).build());
        assertTrue(e.getMessage().contains("batchRows"), e.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> engine(source, new MemorySink(), CheckpointStores.memory()).table(INCREMENTAL).table(INCREMENTAL).build());
        assertTrue(twice.getMessage().contains("'items' is configured twice"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TableSync.incremental(TableSpec.of("no_cursor")));
    }

    @Test
    void aSourceErrorFailsOnlyThatTable() {
        MemorySource source = source(5);
        SyncReport r = engine(source, new MemorySink(), CheckpointStores.memory())
                .table(TableSync.full(TableSpec.of("missing"))).table(TableSync.full(TableSpec.of("items"))).build().runOnce();
        assertFalse(r.succeeded());
        assertTrue(r.table("missing").error().contains("'missing'"), r.table("missing").error());
        assertTrue(r.table("items").succeeded());
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not reached in 20 s");
            Thread.sleep(10);
        }
    }

    /** Like a sink that inserts its buffer at flush: a bad row fails the whole insert and the buffer is dropped. */
    static class RefusingAtFlushSink extends ForwardingSink {
        private final java.util.function.LongPredicate bad;
        private final MemorySink inner;
        private final java.util.Map<TableWriter, List<Batch>> buffered = new java.util.HashMap<>();

        RefusingAtFlushSink(MemorySink inner, java.util.function.LongPredicate bad) {
            super(inner);
            this.inner = inner;
            this.bad = bad;
        }

        @Override
        protected synchronized WriteResult write(TableWriter w, Batch batch) {
            buffered.computeIfAbsent(w, k -> new ArrayList<>()).add(batch);
            return super.write(w, batch);
        }

        @Override
        protected synchronized void flush(TableWriter w, TableSchema table) {
            List<Batch> mine = buffered.getOrDefault(w, List.of());
            boolean refused = mine.stream().flatMap(b -> b.events().stream())
                    .anyMatch(e -> bad.test(((Number) e.key().get(0)).longValue()));
            buffered.remove(w);
            if (refused) {
                inner.loseUnflushed();
                throw new dev.dbsync.spi.DataException("insert refused: a bad value");
            }
            super.flush(w, table);
        }
    }

    @Test
    void theChangeFeedIsolatesRecordsASinkRefusesAtFlush() {
        MemorySource source = source(10);
        List<Long> dead = Collections.synchronizedList(new ArrayList<>());
        MemorySink sink = new MemorySink();
        RefusingAtFlushSink refusing = new RefusingAtFlushSink(sink, id -> id == 17);
        SyncEngine.Builder b = engine(source, refusing, CheckpointStores.memory()).table(TableSync.cdc(TableSpec.of("items")))
                .streamIdle(Duration.ofMillis(100))
                .deadLetterHandler(letter -> dead.add(((Number) letter.event().key().get(0)).longValue()));
        assertTrue(b.build().runOnce().succeeded());
        for (long id = 11; id <= 30; id++) {
            source.upsert("items", id, "streamed " + id, 2L, false);
        }
        SyncReport r = b.build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals(List.of(17L), dead);
        assertEquals(1, r.table("items").failed());
        assertEquals(29, sink.rows("items").size());
    }

    /**
     * A transaction that began first commits its change of a row last, with an older cursor value than the
     * change already synced: in a sink that keeps versions, the state read later must win.
     */
    @Test
    void versionsFollowTheOrderOfReadsNotTheCursorValues() {
        MemorySource source = new MemorySource();
        source.createTable(SCHEMA);
        source.upsert("items", 1L, "initial", 50L, false);
        MemorySource.Transaction a = source.begin(100L);
        source.upsert("items", 1L, "written by B", 200L, false);
        MemorySink sink = new MemorySink().versioned();
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(source, sink, store).table(INCREMENTAL).build().runOnce().succeeded());
        assertEquals("written by B", sink.rows("items").get(0).get(1), "the backfill read B's row");
        a.upsert("items", 1L, "written by A, committed last", 100L, false).commit();
        SyncReport r = engine(source, sink, store).table(INCREMENTAL).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertEquals("written by A, committed last", sink.rows("items").get(0).get(1),
                "the row's state as read last wins, though its cursor is older: " + r.toText());
    }

    @Test
    void aSecondEngineOfTheSamePipelineIsRefusedNamingTheHolder(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        MemorySource source = source(3);
        java.util.concurrent.CountDownLatch inWrite = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        MemorySink inner = new MemorySink();
        dev.dbsync.spi.Sink slow = new ForwardingSink(inner) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                inWrite.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.write(w, batch);
            }
        };
        try (SyncEngine first = engine(source, slow, CheckpointStores.file(dir)).table(INCREMENTAL).build();
             SyncEngine second = engine(source, new MemorySink(), CheckpointStores.file(dir)).table(INCREMENTAL)
                     .leaseWait(Duration.ofMillis(600)).build()) {
            Thread t = new Thread(first::runOnce);
            t.start();
            assertTrue(inWrite.await(10, java.util.concurrent.TimeUnit.SECONDS));
            dev.dbsync.spi.LeaseException e = assertThrows(dev.dbsync.spi.LeaseException.class, second::runOnce);
            assertTrue(e.getMessage().contains("behaviour") && e.getMessage().contains(":" + ProcessHandle.current().pid()),
                    e.getMessage());
            release.countDown();
            t.join(10_000);
            assertEquals(3, inner.rows("items").size());
            assertTrue(second.runOnce().succeeded(), "once the first run ended the pipeline is free again");
        }
    }

    /** A sink written before TIME existed gets its documented fallback, ISO-8601 text, keys and arrays included. */
    @Test
    void aTypeTheSinkDoesNotListReachesItAsItsFallback() {
        TableSchema timed = new TableSchema("shifts", List.of(Column.required("starts", LogicalType.TIME),
                Column.of("name", LogicalType.STRING), Column.array("breaks", LogicalType.TIME)), List.of("starts"));
        MemorySource source = new MemorySource();
        source.createTable(timed);
        source.upsert("shifts", java.time.LocalTime.of(6, 30), "early", List.of(java.time.LocalTime.of(9, 15, 0, 500_000)));
        source.upsert("shifts", java.time.LocalTime.of(14, 0), "late", null);
        MemorySink sink = new MemorySink();
        assertEquals(LogicalType.CORE, sink.supportedTypes());
        SyncReport r = engine(source, sink, CheckpointStores.memory()).table(TableSync.full(TableSpec.of("shifts"))).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        TableSchema seen = sink.schema("shifts");
        assertEquals(LogicalType.STRING, seen.column("starts").type());
        assertEquals(LogicalType.STRING, seen.column("breaks").elementType());
        assertEquals(List.of(List.of("06:30", "early", List.of("09:15:00.000500")), java.util.Arrays.asList("14:00", "late", null)),
                sink.rows("shifts"));
    }

    @Test
    void tablesOfAFeedWhosePositionIsMissingAreSnapshottedAgain() {
        MemorySource source = source(10);
        MemorySink sink = new MemorySink();
        CheckpointStore store = CheckpointStores.memory();
        TableSync cdc = TableSync.cdc(TableSpec.of("items"));
        assertTrue(engine(source, sink, store).table(cdc).streamIdle(Duration.ofMillis(100)).build().runOnce().succeeded());
        dev.dbsync.spi.Lease lease = store.acquire("behaviour", "test");
        store.clear(lease, dev.dbsync.internal.StreamRunner.STREAM_KEY);
        store.release(lease);
        // changed while the feed's position was gone: a feed started afresh would never deliver these
        source.upsert("items", 3L, "changed meanwhile", 100L, false);
        source.delete("items", 4L);
        SyncReport r = engine(source, sink, store).table(cdc).streamIdle(Duration.ofMillis(100)).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertTrue(r.table("items").snapshot(), "snapshotted again: " + r.toText());
        assertEquals(source.rows("items"), sink.rows("items"));
    }

    /** A column added to the source table makes the next run snapshot again, so no row keeps it empty. */
    @Test
    void aChangedColumnSetMeansAFreshSnapshot() {
        MemorySource source = source(20);
        CheckpointStore store = CheckpointStores.memory();
        assertTrue(engine(source, new MemorySink(), store).table(INCREMENTAL).build().runOnce().succeeded());
        SyncReport same = engine(source, new MemorySink(), store).table(INCREMENTAL).build().runOnce();
        assertFalse(same.table("items").snapshot(), "unchanged columns: incremental only");
        List<List<Object>> rows = source.rows("items");
        TableSchema wider = new TableSchema("items", List.of(Column.required("id", LogicalType.INT64),
                Column.of("name", LogicalType.STRING), Column.of("updated_at", LogicalType.INT64),
                Column.of("is_deleted", LogicalType.BOOLEAN), Column.of("colour", LogicalType.STRING)), List.of("id"));
        source.createTable(wider);
        for (List<Object> r : rows) {
            source.upsert("items", r.get(0), r.get(1), r.get(2), r.get(3), "blue");
        }
        MemorySink sink = new MemorySink();
        SyncReport r = engine(source, sink, store).table(INCREMENTAL).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertTrue(r.table("items").snapshot(), "a column was added: snapshot again: " + r.toText());
        assertTrue(sink.rows("items").stream().allMatch(row -> "blue".equals(row.get(4))));
    }

    /** A full refresh that fails half-way leaves the target as it was, and the next run finishes the replacement. */
    @Test
    void aFailedFullRefreshNeverLeavesTheTargetEmptier() {
        MemorySource source = source(100);
        CheckpointStore store = CheckpointStores.memory();
        MemorySink good = new MemorySink().replacing();
        TableSync full = TableSync.full(TableSpec.of("items"));
        assertTrue(engine(source, good, store).table(full).build().runOnce().succeeded());
        assertEquals(100, good.rows("items").size());
        source.upsert("items", 101L, "new", 100L, false);
        source.delete("items", 5L);
        MemorySink refusing = new MemorySink().replacing().rejecting(e -> ((Number) e.key().get(0)).longValue() == 60);
        // the same target, now refusing a row half-way through the refresh (default handler: the table fails)
        java.util.concurrent.atomic.AtomicReference<MemorySink> target = new java.util.concurrent.atomic.AtomicReference<>(good);
        SyncReport failed = engine(source, new ForwardingSink(good) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                for (dev.dbsync.spi.ChangeEvent e : batch.events()) {
                    if (((Number) e.key().get(0)).longValue() == 60) {
                        throw new dev.dbsync.spi.DataException("row 60 refused");
                    }
                }
                return super.write(w, batch);
            }

            @Override
            public java.util.Set<dev.dbsync.spi.SinkCapability> capabilities() {
                return good.capabilities();
            }
        }, store).table(full).build().runOnce();
        assertFalse(failed.succeeded());
        assertEquals(100, good.rows("items").size(), "the failed refresh left the target as it was");
        assertTrue(good.replacementRows("items").size() > 0, "the replacement holds what was loaded");
        SyncReport resumed = engine(source, good, store).table(full).build().runOnce();
        assertTrue(resumed.succeeded(), resumed::toText);
        assertEquals(source.rows("items"), good.rows("items"), "the resumed refresh was swapped in");
        assertEquals(null, good.replacementRows("items"));
        assertTrue(refusing.rows("items").isEmpty() && target.get() == good);
    }

    /**
     * A crash between the swap and saving its checkpoint: the next run sees the replacement gone, takes the
     * snapshot as done and goes on with changes. (A plain full table starts its snapshot again instead.)
     */
    @Test
    void aRefreshSwappedInBeforeACrashIsNotLoadedAgain() {
        MemorySource source = source(30);
        CheckpointStore inner = CheckpointStores.memory();
        MemorySink sink = new MemorySink().replacing();
        java.util.concurrent.atomic.AtomicBoolean crashOnDone = new java.util.concurrent.atomic.AtomicBoolean(true);
        CheckpointStore crashing = new CheckpointStore() {
            @Override
            public dev.dbsync.spi.Lease acquire(String pipeline, String holder) {
                return inner.acquire(pipeline, holder);
            }

            @Override
            public java.util.Optional<String> load(String pipeline, String key) {
                return inner.load(pipeline, key);
            }

            @Override
            public void save(dev.dbsync.spi.Lease lease, String key, String text) {
                if (text.contains("\"CHANGES\"") && crashOnDone.getAndSet(false)) {
                    throw new SimulatedCrash("killed after the swap, before its checkpoint");
                }
                inner.save(lease, key, text);
            }

            @Override
            public void clear(dev.dbsync.spi.Lease lease, String key) {
                inner.clear(lease, key);
            }

            @Override
            public void release(dev.dbsync.spi.Lease lease) {
                inner.release(lease);
            }
        };
        TableSync full = INCREMENTAL;
        assertFalse(engine(source, sink, crashing).table(full).build().runOnce().succeeded());
        assertEquals(30, sink.rows("items").size(), "swapped in before the crash");
        assertEquals(null, sink.replacementRows("items"));
        List<Integer> written = Collections.synchronizedList(new ArrayList<>());
        SyncReport r = engine(source, new ForwardingSink(sink) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                written.add(batch.events().size());
                return super.write(w, batch);
            }

            @Override
            public java.util.Set<dev.dbsync.spi.SinkCapability> capabilities() {
                return sink.capabilities();
            }
        }, crashing).table(full).build().runOnce();
        assertTrue(r.succeeded(), r::toText);
        assertFalse(r.table("items").snapshot(), "the snapshot is not taken again: " + r.toText());
        assertEquals(source.rows("items"), sink.rows("items"));
    }

}
