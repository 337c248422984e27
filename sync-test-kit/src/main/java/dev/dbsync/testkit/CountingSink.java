package dev.dbsync.testkit;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A sink that counts the events it is given and keeps nothing: the engine's cost measured without a target's. For
 * benchmarks.
 */
public final class CountingSink implements Sink {

    private final AtomicLong rows = new AtomicLong();

    /** Events written so far, over all tables. */
    public long rows() {
        return rows.get();
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return Set.of(SinkCapability.DELETE);
    }

    @Override
    public TableWriter open(TableSchema schema) {
        return new TableWriter() {
            @Override
            public WriteResult write(Batch batch) {
                rows.addAndGet(batch.events().size());
                return WriteResult.applied(batch);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
    }
}
