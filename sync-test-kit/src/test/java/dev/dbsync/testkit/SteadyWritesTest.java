package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@code runOnce} with a change feed that never goes quiet: it ends once everything committed before it started is
 * applied (plus at most {@code stream.idle}), instead of waiting for a pause that never comes.
 */
class SteadyWritesTest {

    private static final TableSchema ITEMS = new TableSchema("items", List.of(
            Column.required("id", LogicalType.INT64), Column.of("name", LogicalType.STRING)), List.of("id"));

    @Test
    @org.junit.jupiter.api.Timeout(120) // without the bound the first run never ends: fail instead of hanging the build
    void runOnceUnderSteadyWritesEndsWithinItsBoundAndHasEverythingFromBeforeItStarted() throws Exception {
        MemorySource source = new MemorySource();
        source.createTable(ITEMS);
        for (long i = 1; i <= 100; i++) {
            source.upsert("items", i, "item " + i);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong written = new AtomicLong(100);
        Thread writer = new Thread(() -> {
            while (!stop.get()) {
                long id = written.incrementAndGet();
                source.upsert("items", id, "item " + id);
                try {
                    Thread.sleep(5); // a change every few ms: the feed never stays quiet for stream.idle
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        writer.start();
        MemorySink sink = new MemorySink();
        var store = CheckpointStores.memory();
        try {
            Thread.sleep(200);
            for (int run = 0; run < 3; run++) {
                long before = written.get();
                long t0 = System.nanoTime();
                SyncReport r = SyncEngine.builder().pipeline("steady").source(source).sink(sink).checkpointStore(store)
                        .table(TableSync.cdc(TableSpec.of("items"))).streamIdle(Duration.ofMillis(300)).build().runOnce();
                double secs = (System.nanoTime() - t0) / 1e9;
                assertTrue(r.succeeded(), r::toText);
                // generous: the bound is the catch-up plus stream.idle (0.3 s); without it the run would never end
                assertTrue(secs < 20, "run " + run + " took " + secs + " s under steady writes");
                long have = sink.rows("items").size();
                assertTrue(have >= before, "run " + run + ": every row committed before the run started is in the target ("
                        + have + " of at least " + before + ")");
            }
        } finally {
            stop.set(true);
            writer.join();
        }
    }
}
