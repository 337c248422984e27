package dev.dbsync.testkit;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;

/**
 * Passes everything to another sink and its writers; tests override single hooks ({@link #write}, {@link #flush},
 * {@link #truncate}) to make a real sink fail, stall or record what it is sent.
 */
public class ForwardingSink implements dev.dbsync.spi.Sink {
    private final dev.dbsync.spi.Sink delegate;

    public ForwardingSink(dev.dbsync.spi.Sink delegate) {
        this.delegate = delegate;
    }

    @Override
    public java.util.Set<dev.dbsync.spi.SinkCapability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public java.util.Set<dev.dbsync.spi.LogicalType> supportedTypes() {
        return delegate.supportedTypes();
    }

    @Override
    public java.util.Optional<dev.dbsync.spi.CheckpointStore> checkpointStore() {
        return delegate.checkpointStore();
    }

    @Override
    public String refuses(dev.dbsync.spi.Column column, Object value) {
        return delegate.refuses(column, value);
    }

    @Override
    public Object storedForm(dev.dbsync.spi.Column column, Object value) {
        return delegate.storedForm(column, value);
    }

    @Override
    public TableWriter open(TableSchema schema) {
        TableWriter w = delegate.open(schema);
        return new TableWriter() {
            @Override
            public WriteResult write(Batch batch) {
                return ForwardingSink.this.write(w, batch);
            }

            @Override
            public void flush() {
                ForwardingSink.this.flush(w, schema);
            }

            @Override
            public void truncate() {
                ForwardingSink.this.truncate(w, schema);
            }

            @Override
            public void beginReplacement() {
                w.beginReplacement();
            }

            @Override
            public boolean resumeReplacement() {
                return w.resumeReplacement();
            }

            @Override
            public void commitReplacement() {
                w.commitReplacement();
            }

            @Override
            public void close() {
                w.close();
            }
        };
    }

    protected WriteResult write(TableWriter w, Batch batch) {
        return w.write(batch);
    }

    protected void flush(TableWriter w, TableSchema table) {
        w.flush();
    }

    protected void truncate(TableWriter w, TableSchema table) {
        w.truncate();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
