package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A change feed is read on its own thread while another table of the pipeline takes long: a replication server
 * drops a connection it does not hear from, so the feed must not wait for the other tables.
 */
class FeedThreadTest {

    private static final TableSchema SLOW = new TableSchema("slow", List.of(
            Column.required("id", LogicalType.INT64), Column.of("name", LogicalType.STRING)), List.of("id"));
    private static final TableSchema FEED = new TableSchema("feed", List.of(
            Column.required("id", LogicalType.INT64), Column.of("name", LogicalType.STRING)), List.of("id"));

    /** Remembers when the feed was last polled while the slow table was being written. */
    static final class Watched extends MemorySource {
        final AtomicLong pollsDuringSlowWrites = new AtomicLong();
        volatile boolean slowWriting;

        @Override
        public ChangeStream openStream(List<TableSchema> schemas, List<TableSpec> specs, Position from) {
            ChangeStream inner = super.openStream(schemas, specs, from);
            return new ChangeStream() {
                @Override
                public List<ChangeEvent> poll(Duration timeout) {
                    if (slowWriting) {
                        pollsDuringSlowWrites.incrementAndGet();
                    }
                    return inner.poll(timeout);
                }

                @Override
                public void acknowledge(Position flushed) {
                    inner.acknowledge(flushed);
                }

                @Override
                public boolean caughtUp() {
                    return inner.caughtUp();
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        }
    }

    @Test
    void theFeedIsPolledWhileAnotherTableIsStillBeingWritten() throws Exception {
        Watched source = new Watched();
        source.createTable(SLOW);
        source.createTable(FEED);
        for (long i = 1; i <= 40; i++) {
            source.upsert("slow", i, "row " + i);
            source.upsert("feed", i, "row " + i);
        }
        MemorySink target = new MemorySink();
        var slowSink = new ForwardingSink(target) {
            @Override
            protected WriteResult write(TableWriter w, Batch batch) {
                if (batch.schema().name().equals("slow")) {
                    source.slowWriting = true; // polls count only while a write of the slow table is under way
                    try {
                        Thread.sleep(150); // a slow target: the whole table takes a few seconds
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        source.slowWriting = false;
                    }
                }
                return super.write(w, batch);
            }
        };
        var store = CheckpointStores.memory();
        // first run: the feed's table is snapshotted and its feed opened; the second run has the feed open from the start
        SyncEngine.builder().pipeline("thread").source(source).sink(slowSink).checkpointStore(store).batchRows(5)
                .table(TableSync.full(TableSpec.of("slow"))).table(TableSync.cdc(TableSpec.of("feed")))
                .streamIdle(Duration.ofMillis(100)).build().runOnce();
        source.slowWriting = false;
        source.pollsDuringSlowWrites.set(0);
        try (SyncEngine engine = SyncEngine.builder().pipeline("thread").source(source).sink(slowSink).checkpointStore(store)
                .batchRows(5).table(TableSync.full(TableSpec.of("slow"))).table(TableSync.cdc(TableSpec.of("feed")))
                .pollInterval(Duration.ofMillis(200)).build()) {
            engine.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (source.pollsDuringSlowWrites.get() < 5 && System.nanoTime() < deadline) {
                source.upsert("feed", 1000L + System.nanoTime() % 1000, "new");
                Thread.sleep(50);
            }
            engine.stop();
            SyncReport r = engine.lastReport();
            assertTrue(r == null || r.tables().stream().allMatch(t -> t.succeeded()), () -> r.toText());
        }
        assertTrue(source.pollsDuringSlowWrites.get() >= 5, "the feed was polled " + source.pollsDuringSlowWrites.get()
                + " times while the slow table was being written");
    }
}
