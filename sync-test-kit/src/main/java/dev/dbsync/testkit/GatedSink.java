package dev.dbsync.testkit;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.util.concurrent.CountDownLatch;

/**
 * Wraps a sink: its writes of one table (matched by the end of the target name) wait at a gate until the test opens
 * it, so a test can hold a sink in the middle of a snapshot and change the source meanwhile. {@link #entered} counts
 * down at the first such write.
 */
public final class GatedSink extends ForwardingSink {

    private final String table;
    /** Counts down when the first write of the table reaches the gate. */
    public final CountDownLatch entered = new CountDownLatch(1);
    /** Opened (counted down) by the test to let the writes through. */
    public final CountDownLatch gate = new CountDownLatch(1);

    public GatedSink(Sink delegate, String table) {
        super(delegate);
        this.table = table;
    }

    @Override
    protected WriteResult write(TableWriter w, Batch batch) {
        if (batch.schema().name().endsWith(table)) {
            entered.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return super.write(w, batch);
    }
}
