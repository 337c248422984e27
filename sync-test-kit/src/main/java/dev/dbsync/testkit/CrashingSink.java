package dev.dbsync.testkit;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.util.Optional;
import java.util.Set;

/**
 * Wraps a sink and throws a {@link SimulatedCrash} at the n-th write or flush (counted over all its writers),
 * so tests can kill a run at many points and check that a restart leaves the target equal to the source.
 * After the crash every call throws, like a dead process, and closing a writer sends nothing (a dead process
 * flushes nothing); the wrapped sink stays open for the test to inspect. {@link #close()} does not close the
 * wrapped sink.
 */
public final class CrashingSink implements Sink {

    private final Sink delegate;
    private final CrashPoint point;
    private final int n;
    private int writes;
    private int flushes;
    private boolean crashed;

    /** Crashes at the {@code n}-th (1-based) write or flush, as {@code point} says. */
    public CrashingSink(Sink delegate, CrashPoint point, int n) {
        this.delegate = requireNonNull(delegate, "delegate is null");
        this.point = requireNonNull(point, "point is null");
        this.n = n;
    }

    /** Whether the crash happened. */
    public synchronized boolean crashed() {
        return crashed;
    }

    private void checkAlive() {
        if (crashed) {
            throw new SimulatedCrash("the process already crashed");
        }
    }

    private SimulatedCrash crash(String where) {
        crashed = true;
        return new SimulatedCrash("simulated crash " + where);
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public Set<LogicalType> supportedTypes() {
        return delegate.supportedTypes();
    }

    @Override
    public synchronized TableWriter open(TableSchema schema) {
        checkAlive();
        TableWriter w = delegate.open(schema);
        return new TableWriter() {
            @Override
            public WriteResult write(Batch batch) {
                synchronized (CrashingSink.this) {
                    checkAlive();
                    writes++;
                    if (point == CrashPoint.BEFORE_WRITE && writes == n) {
                        throw crash("before write " + n);
                    }
                    WriteResult r = w.write(batch);
                    if (point == CrashPoint.AFTER_WRITE && writes == n) {
                        throw crash("after write " + n);
                    }
                    return r;
                }
            }

            @Override
            public void flush() {
                synchronized (CrashingSink.this) {
                    checkAlive();
                    flushes++;
                    w.flush();
                    if (point == CrashPoint.AFTER_FLUSH && flushes == n) {
                        throw crash("after flush " + n);
                    }
                }
            }

            @Override
            public void truncate() {
                synchronized (CrashingSink.this) {
                    checkAlive();
                    w.truncate();
                }
            }

            @Override
            public void beginReplacement() {
                synchronized (CrashingSink.this) {
                    checkAlive();
                    w.beginReplacement();
                }
            }

            @Override
            public boolean resumeReplacement() {
                synchronized (CrashingSink.this) {
                    checkAlive();
                    return w.resumeReplacement();
                }
            }

            @Override
            public void commitReplacement() {
                synchronized (CrashingSink.this) {
                    checkAlive();
                    w.commitReplacement();
                }
            }

            @Override
            public void close() {
                synchronized (CrashingSink.this) {
                    if (!crashed) {
                        w.close();
                    }
                }
            }
        };
    }

    @Override
    public Optional<CheckpointStore> checkpointStore() {
        return delegate.checkpointStore();
    }

    @Override
    public void close() {
    }
}
