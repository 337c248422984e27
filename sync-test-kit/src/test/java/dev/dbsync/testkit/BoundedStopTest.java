package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** stop() and close() return within their bound even when a write never returns by itself. */
class BoundedStopTest {

    private static final TableSchema ITEMS = new TableSchema("items", List.of(
            Column.required("id", LogicalType.INT64), Column.of("name", LogicalType.STRING)), List.of("id"));

    /** A sink whose writes hang like a database that stopped answering, until its connections are closed. */
    static final class Hanging extends ForwardingSink {
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);

        Hanging() {
            super(new MemorySink());
        }

        @Override
        protected WriteResult write(TableWriter w, Batch batch) {
            writing.countDown();
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new RetriableException("connection closed");
        }

        @Override
        public void close() {
            closed.countDown();
            super.close();
        }
    }

    @Test
    @Timeout(60)
    void closeReturnsWithinItsBoundWhenAWriteHangsAndClosesTheConnectionsUnderIt() throws Exception {
        MemorySource source = new MemorySource();
        source.createTable(ITEMS);
        for (long i = 1; i <= 50; i++) {
            source.upsert("items", i, "item " + i);
        }
        Hanging sink = new Hanging();
        SyncEngine engine = SyncEngine.builder().pipeline("hang").source(source).sink(sink)
                .checkpointStore(CheckpointStores.memory()).table(TableSync.full(TableSpec.of("items")))
                .stopTimeout(Duration.ofMillis(300)).build();
        engine.start();
        assertTrue(sink.writing.await(20, TimeUnit.SECONDS), "the first write started");
        long t0 = System.nanoTime();
        engine.close();
        double secs = (System.nanoTime() - t0) / 1e9;
        assertTrue(secs < 10, "close() returned after " + secs + " s with a write hanging (bound: about 2 × 0.3 s)");
        assertTrue(sink.closed.getCount() == 0, "the sink's connections were closed under the hanging write");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (engine.isRunning() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(engine.isRunning(), "the run ended once its connection was closed");
    }
}
