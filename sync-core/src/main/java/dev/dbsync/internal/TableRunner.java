package dev.dbsync.internal;

import dev.dbsync.engine.DeadLetter;
import dev.dbsync.engine.Strategy;
import dev.dbsync.engine.SyncListener;
import dev.dbsync.engine.TableReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.internal.Checkpoint.Phase;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.WriteResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one table once: describe, open the target, then a snapshot and/or incremental reads from the saved
 * checkpoint. A reader thread fills a bounded queue with batches; the calling thread writes them, flushes the
 * sink and only then saves the checkpoint that covers them.
 */
public final class TableRunner {

    private static final Logger LOG = LoggerFactory.getLogger(TableRunner.class);

    /** One unit of work from the reader: events to write, then the checkpoint to save. */
    private record Item(List<ChangeEvent> events, Checkpoint checkpoint, boolean end, Throwable error,
                        List<WriteResult.FailedEvent> unreadable) {
        Item(List<ChangeEvent> events, Checkpoint checkpoint, boolean end, Throwable error) {
            this(events, checkpoint, end, error, List.of());
        }
    }

    private final EngineContext ctx;
    private final TableSync table;
    private final TableSpec spec;
    private final TableSpec snapshotSpec;
    private String fingerprint;
    private final String where;
    private final Retrier retrier;
    /** Whether the sink keeps versions: only then are versions stamped in the order of reads ({@link ObservedOrder}). */
    private final boolean versioned;

    private TableSchema schema;
    private TableSchema target;
    private TableOutput output;
    /** Whether the snapshot under way is loaded into a replacement of the target. */
    private boolean replacing;
    private long rowsRead;
    private boolean snapshot;
    private long estimate = -1;
    private long started;
    private long lastLog;

    public TableRunner(EngineContext ctx, TableSync table) {
        this.ctx = ctx;
        this.table = table;
        this.spec = table.spec();
        // The change feed versions its events by log position, which does not compare with cursor values: a
        // CDC table's snapshot is read without its cursor, so its rows carry version 0 and every change from
        // the feed supersedes them in sinks that keep versions.
        this.snapshotSpec = table.strategy() == Strategy.CDC && spec.hasCursor()
                ? new TableSpec(spec.table(), spec.keyColumns(), List.of(), spec.softDeleteColumn(), spec.softDeleteValue())
                : spec;
        this.where = "pipeline " + ctx.pipeline() + ", table '" + spec.table() + "'";
        this.fingerprint = fingerprint(table, null);
        this.retrier = new Retrier(ctx.retryPolicy(), where);
        this.versioned = ctx.sink().capabilities().contains(SinkCapability.VERSIONED);
    }

    /** Runs the table; never throws for the table's own failures (they are in the report). */
    public TableReport run() {
        started = System.nanoTime();
        lastLog = started;
        String error = null;
        ErrorType errorType = null;
        try {
            prepare();
            runFromCheckpoint();
        } catch (RuntimeException e) {
            error = describe(e);
            errorType = typeOf(e);
            LOG.error("{}: failed: {}", where, error, e);
        } catch (Error e) {
            error = describe(e);
            LOG.error("{}: failed: {}", where, error, e);
            throw e;
        } finally {
            if (output != null) {
                output.close();
            }
        }
        TableOutput.Counters c = output == null ? new TableOutput.Counters() : output.counters();
        TableReport report = new TableReport(spec.table(), table.target(), table.strategy(), snapshot, rowsRead,
                c.upserted, c.deleted, c.failed, c.skipped, retrier.retries(), Duration.ofNanos(System.nanoTime() - started), error, errorType);
        safeListener(() -> ctx.listener().onTableFinished(ctx.pipeline(), report));
        return report;
    }

    /** Who has to act on a failure: the type of the first {@link SyncException} in the causes, else by its kind. */
    public static ErrorType typeOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SyncException s) {
                return s.type();
            }
            if (t instanceof java.io.IOException || t instanceof java.io.UncheckedIOException) {
                return ErrorType.EXTERNAL;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return ErrorType.INTERNAL;
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getName() : (e instanceof SyncException ? m : e.getClass().getSimpleName() + ": " + m);
    }

    /** The source table's schema once {@link #run()} or {@link #prepare()} described it; null before. */
    public TableSchema sourceSchema() {
        return schema;
    }

    /** The target table's schema once the target was opened; null before. */
    public TableSchema targetSchema() {
        return target;
    }

    /** Describes the source table and opens the target (both retried on transient errors). */
    private void prepare() {
        schema = retrier.call("describe", () -> ctx.source().describe(spec));
        target = schema.withName(table.target());
        fingerprint = fingerprint(table, schema);
        output = new TableOutput(ctx, spec.table(), target, retrier);
    }

    /**
     * What a checkpoint of this table means: how it is read, what identifies and orders its rows, and which
     * columns of which types it carries. A saved checkpoint made under another configuration, or before the
     * source table's columns changed (added, dropped, retyped), is not trusted: the table starts a fresh snapshot,
     * so rows changed meanwhile are never left with a column missing in the target.
     */
    static String fingerprint(TableSync t, TableSchema schema) {
        String mode = t.strategy() == Strategy.CDC ? "cdc"
                : t.strategy() == Strategy.INCREMENTAL || t.continueIncrementally() ? "incremental" : "full";
        TableSpec s = t.spec();
        String config = mode + ";key=" + s.keyColumns() + ";cursor=" + s.cursorColumns() + ";softDelete="
                + (s.softDeleteColumn() == null ? "" : s.softDeleteColumn() + "=" + s.softDeleteValue());
        if (schema == null) {
            return config;
        }
        StringBuilder cols = new StringBuilder();
        for (dev.dbsync.spi.Column c : schema.columns()) {
            cols.append(c.name()).append(':').append(c.type()).append(c.elementType() == null ? "" : "<" + c.elementType() + ">")
                    .append('(').append(c.precision()).append(',').append(c.scale()).append(')').append('\n');
        }
        return config + ";columns=" + Integer.toHexString(cols.toString().hashCode()) + "/" + schema.columns().size();
    }

    /** Whether a checkpoint's recorded configuration still holds; one written before columns were recorded does. */
    static boolean sameConfig(String saved, String now) {
        if (saved == null || saved.equals(now)) {
            return true;
        }
        int i = now.indexOf(";columns=");
        return !saved.contains(";columns=") && i >= 0 && saved.equals(now.substring(0, i));
    }

    private Checkpoint checkpoint(Phase phase, Position snapshotAfter, Position changesFrom, long rows) {
        return new Checkpoint(phase, snapshotAfter, changesFrom, rows, fingerprint);
    }

    private void runFromCheckpoint() {
        if (ctx.stopRequested().get()) {
            return;
        }
        Checkpoint cp = ctx.checkpoints().load(table.id()).orElse(null);
        if (cp != null && !sameConfig(cp.config(), fingerprint)) {
            LOG.warn("{}: the table's configuration changed since its checkpoint (was {}, now {}); starting a fresh snapshot",
                    where, cp.config(), fingerprint);
            cp = null;
        }
        boolean follow = table.strategy() == Strategy.INCREMENTAL
                || (table.strategy() == Strategy.FULL && table.continueIncrementally());
        boolean cdc = table.strategy() == Strategy.CDC;
        if (cp != null && (cp.phase() == Phase.SNAPSHOT || cp.phase() == Phase.REPLACE) && !follow && !cdc) {
            // Nothing follows a plain full snapshot: rows before the point it was cut short at may have changed
            // since, and no change feed would bring that. Resuming would end in a mix of two moments; start again.
            LOG.info("{}: a full snapshot cut short before (after key {}) is started again, so the target is one moment"
                    + " of the source", where, cp.snapshotAfter() == null ? "none" : cp.snapshotAfter().values());
            cp = runSnapshot(startSnapshot(follow), follow);
        } else if (cp != null && (cp.phase() == Phase.SNAPSHOT || cp.phase() == Phase.REPLACE)) {
            cp = runSnapshot(cp, follow);
        } else if (cp == null || cp.phase() == Phase.DONE && !cdc || cp.phase() == Phase.CHANGES && !follow && !cdc) {
            cp = runSnapshot(startSnapshot(follow), follow);
        }
        if (cp != null && cp.phase() == Phase.CHANGES && follow && !ctx.stopRequested().get()) {
            runChanges(cp);
        }
    }

    /** Truncates the target when configured and saves the starting checkpoint with the incremental start. */
    private Checkpoint startSnapshot(boolean follow) {
        Position changesFrom = follow ? retrier.call("find incremental start", () -> ctx.source().changesStart(spec, schema)) : null;
        Phase phase = Phase.SNAPSHOT;
        if (ctx.truncateBeforeSnapshot() && ctx.sink().capabilities().contains(SinkCapability.REPLACE)) {
            // loaded aside and swapped in at the end: a refresh that fails half-way leaves the target as it was
            output.beginReplacement();
            phase = Phase.REPLACE;
        } else if (ctx.truncateBeforeSnapshot() && ctx.sink().capabilities().contains(SinkCapability.TRUNCATE)) {
            output.truncate();
        }
        Checkpoint cp = checkpoint(phase, null, changesFrom, 0);
        ctx.checkpoints().save(table.id(), cp);
        return cp;
    }

    /** Reads the snapshot from the checkpoint on; returns the final checkpoint, or null when stopped early. */
    private Checkpoint runSnapshot(Checkpoint from, boolean follow) {
        OptionalLong est = ctx.source().estimateRows(spec);
        estimate = est.isPresent() ? est.getAsLong() : -1;
        final long base = from.rows();
        LOG.info("{}: {} snapshot{}", where, from.snapshotAfter() == null ? "starting" : "resuming after key "
                + from.snapshotAfter().values() + " (" + base + " rows done),", estimate >= 0 ? " of about " + estimate + " rows" : "");
        boolean cdc = table.strategy() == Strategy.CDC;
        // A table that is followed goes on with changes even when the source had no start position (an empty
        // table): reading changes from the beginning then misses nothing.
        Checkpoint end = follow || cdc
                ? checkpoint(Phase.CHANGES, null, from.changesFrom(), 0)
                : checkpoint(Phase.DONE, null, null, 0);
        replacing = from.phase() == Phase.REPLACE;
        if (replacing && !output.resumeReplacement()) {
            // the previous process swapped the replacement in and died before saving that: the snapshot is complete
            LOG.info("{}: the replacement was swapped in before the last run ended; the snapshot is complete", where);
            replacing = false;
            ctx.checkpoints().save(table.id(), end);
            return end;
        }
        Phase during = replacing ? Phase.REPLACE : Phase.SNAPSHOT;
        snapshot = true;
        return pump(new Reader() {
            Position after = from.snapshotAfter();
            long rows = base;

            @Override
            public Chunk next(int maxRows) {
                Position a = after;
                Chunk c = retrier.call("read snapshot", () -> ctx.source().readSnapshot(snapshotSpec, schema, a, maxRows));
                // a CDC table's snapshot keeps version 0, so every change from the feed supersedes it
                c = cdc || !versioned ? c : ObservedOrder.stamp(c);
                after = c.next() == null ? after : c.next();
                return c;
            }

            @Override
            public Checkpoint checkpointAfter(ChangeEvent last, int count) {
                rows += count;
                return checkpoint(during, last.position(), from.changesFrom(), rows);
            }

            @Override
            public Checkpoint checkpointAtEnd(Chunk lastChunk) {
                return end;
            }
        });
    }

    private void runChanges(Checkpoint from) {
        pump(new Reader() {
            Position after = from.changesFrom();

            @Override
            public Chunk next(int maxRows) {
                Position a = after;
                Chunk c = retrier.call("read changes", () -> ctx.source().readChanges(spec, schema, a, maxRows));
                c = versioned ? ObservedOrder.stamp(c) : c;
                after = c.next() == null ? after : c.next();
                return c;
            }

            @Override
            public Checkpoint checkpointAfter(ChangeEvent last, int count) {
                return checkpoint(Phase.CHANGES, null, last.position(), 0);
            }

            @Override
            public Checkpoint checkpointAtEnd(Chunk lastChunk) {
                return checkpoint(Phase.CHANGES, null, after, 0);
            }
        });
    }

    private interface Reader {
        Chunk next(int maxRows);

        Checkpoint checkpointAfter(ChangeEvent last, int count);

        Checkpoint checkpointAtEnd(Chunk lastChunk);
    }

    /**
     * Reader thread → bounded queue → this thread writing. Returns the last saved checkpoint when the reader
     * reached the end, null when stopped early.
     */
    private Checkpoint pump(Reader reader) {
        BlockingQueue<Item> queue = new ArrayBlockingQueue<>(ctx.queueCapacity());
        Thread readerThread = new Thread(() -> {
            try {
                // Reads are bounded by bytes too: the first read is small, later ones are sized from the
                // observed event size so one chunk stays near the batch byte limit, however wide the rows.
                int maxRows = Math.min(ctx.readRows(), FIRST_READ_ROWS);
                while (!ctx.stopRequested().get()) {
                    Chunk chunk = reader.next(maxRows);
                    rowsReadByReader(chunk.events().size() + chunk.failed().size());
                    maxRows = nextReadSize(chunk.events(), maxRows);
                    if (!chunk.failed().isEmpty()) {
                        // rows the source could not read whole: dead-lettered by the writer, before later checkpoints
                        queue.put(new Item(List.of(), null, false, null, chunk.failed()));
                    }
                    for (List<ChangeEvent> b : TableOutput.split(chunk.events(), ctx.batchRows(), ctx.batchBytes())) {
                        queue.put(new Item(b, reader.checkpointAfter(b.get(b.size() - 1), b.size()), false, null));
                    }
                    if (chunk.last()) {
                        queue.put(new Item(List.of(), reader.checkpointAtEnd(chunk), true, null));
                        return;
                    }
                }
                queue.put(new Item(List.of(), null, true, null));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                try {
                    queue.put(new Item(List.of(), null, true, e));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "dbsync-read-" + spec.table());
        readerThread.setDaemon(true);
        readerThread.start();
        Checkpoint saved = null;
        Checkpoint pending = null;
        long unflushedRows = 0;
        boolean finished = false;
        try {
            while (true) {
                Item item = queue.take();
                if (item.error() != null) {
                    if (item.error() instanceof RuntimeException) {
                        throw (RuntimeException) item.error();
                    }
                    throw (Error) item.error();
                }
                for (WriteResult.FailedEvent f : item.unreadable()) {
                    output.unreadable(f);
                }
                if (!item.events().isEmpty()) {
                    output.write(item.events(), ctx.checkpoints().update(table.id(), item.checkpoint()));
                }
                if (item.checkpoint() != null) {
                    pending = item.checkpoint();
                }
                // Flush and checkpoint every flushRows rows (default: every batch), at the end and before a stop;
                // the checkpoint is saved only after the flush that covers it.
                boolean stopping = ctx.stopRequested().get();
                unflushedRows += item.events().size();
                boolean due = item.end() || unflushedRows >= ctx.flushRows() || stopping;
                if (due && pending != null) {
                    if (output.hasUnflushed()) {
                        output.flush();
                    }
                    if (item.end() && replacing && item.checkpoint() != null) {
                        // the whole snapshot is in the replacement: swap it in, then record that it is done
                        output.commitReplacement();
                        replacing = false;
                    }
                    unflushedRows = 0;
                    ctx.checkpoints().save(table.id(), pending);
                    saved = pending;
                    pending = null;
                    progress();
                }
                if (item.end()) {
                    finished = item.checkpoint() != null;
                    break;
                }
                if (stopping) {
                    LOG.info("{}: stopping after a completed batch as requested", where);
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SyncException(dev.dbsync.spi.ErrorType.INTERNAL, where + ": interrupted", e);
        } finally {
            // One table is never read by two threads: wait until the reader has really ended (a read blocked
            // in a driver ignores the interrupt and returns when its statement does).
            readerThread.interrupt();
            boolean interrupted = false;
            while (readerThread.isAlive()) {
                try {
                    readerThread.join(TimeUnit.SECONDS.toMillis(30));
                    if (readerThread.isAlive()) {
                        LOG.warn("{}: still waiting for the source read in progress to return", where);
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return finished ? saved : null;
    }

    /** Rows asked of the source by the first read of a table in a run. */
    static final int FIRST_READ_ROWS = 128;

    /** The next read size: about {@code batchBytes} worth of events of the size just seen, within bounds. */
    int nextReadSize(List<ChangeEvent> events, int current) {
        if (events.isEmpty()) {
            return current;
        }
        long bytes = 0;
        int step = Math.max(1, events.size() / 64);
        int sampled = 0;
        for (int i = 0; i < events.size(); i += step) {
            bytes += events.get(i).estimatedSize();
            sampled++;
        }
        long perEvent = Math.max(1, bytes / sampled);
        long fit = ctx.batchBytes() / perEvent;
        return (int) Math.max(1, Math.min(ctx.readRows(), fit));
    }

    private synchronized void rowsReadByReader(int n) {
        rowsRead += n;
    }

    private void progress() {
        long now = System.nanoTime();
        double secs = (now - started) / 1e9;
        long read;
        synchronized (this) {
            read = rowsRead;
        }
        double rate = secs > 0 ? read / secs : 0;
        TableOutput.Counters c = output.counters();
        long written = c.upserted + c.deleted;
        long failed = c.failed;
        SyncListener.Progress p = new SyncListener.Progress(ctx.pipeline(), spec.table(), snapshot, read,
                written, failed, snapshot ? estimate : -1, rate);
        safeListener(() -> ctx.listener().onProgress(p));
        if (now - lastLog >= ctx.progressInterval().toNanos()) {
            lastLog = now;
            if (snapshot && estimate > 0) {
                double pct = Math.min(100.0, 100.0 * read / estimate);
                long eta = rate > 0 ? (long) (Math.max(0, estimate - read) / rate) : -1;
                LOG.info(String.format(Locale.ROOT, "%s: snapshot %.1f%% (%d of ~%d rows), %.0f rows/s, ETA %ds",
                        where, pct, read, estimate, rate, eta));
            } else {
                LOG.info(String.format(Locale.ROOT, "%s: %d rows read, %d written, %d failed, %.0f rows/s",
                        where, read, written, failed, rate));
            }
        }
    }

    private void safeListener(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("{}: listener failed: {}", where, e.toString());
        }
    }
}
