package dev.dbsync.engine;

import static java.util.Objects.requireNonNull;

import dev.dbsync.internal.Checkpoints;
import dev.dbsync.internal.EngineContext;
import dev.dbsync.internal.StreamRunner;
import dev.dbsync.internal.TableRunner;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.SyncException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one pipeline: a {@link Source}, a {@link Sink}, a {@link CheckpointStore} and a list of
 * {@link TableSync tables}.
 *
 * <p>Guarantee: a checkpoint is saved only after the sink flushed everything it covers, and sinks write
 * idempotently, so after a crash at any moment a new engine over the same store resumes and leaves the target
 * equal to the source: nothing lost, nothing doubled.
 *
 * <p>Use:
 * <ol>
 *   <li>build with {@link #builder()} (the builder is not thread-safe; the engine is);</li>
 *   <li>either call {@link #runOnce()} (e.g. from cron) as often as wanted, or {@link #start()} for continuous
 *       mode (polling every {@code pollInterval}, streaming for CDC tables) and {@link #stop()} for a graceful
 *       stop that finishes the current batch and saves its checkpoint;</li>
 *   <li>{@link #close()}: stops if running and closes the source, sink and store.</li>
 * </ol>
 *
 * <p>One process per pipeline: a run ({@link #runOnce()}, or continuous mode from {@link #start()} to its end)
 * holds the pipeline's {@link dev.dbsync.spi.Lease lease} from the checkpoint store; a run of the same
 * pipeline on the same store meanwhile (in this process or another) fails with a
 * {@link dev.dbsync.spi.LeaseException} naming the holder, and a holder fenced out by a newer one can no
 * longer save checkpoints.
 */
public final class SyncEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SyncEngine.class);

    private final EngineContext ctx;
    private final List<TableSync> tables;
    private final int parallelism;
    private final Duration pollInterval;
    private final Duration streamIdle;
    private final AtomicBoolean stop;
    private final Object lifecycle = new Object();
    /** Held by whichever thread runs a sync; runs never overlap. */
    private final ReentrantLock runLock = new ReentrantLock();
    private volatile Thread loop;
    private StreamRunner streamRunner;
    private volatile SyncReport lastReport;
    private boolean closed;

    private SyncEngine(Builder b) {
        this.stop = new AtomicBoolean();
        this.ctx = new EngineContext(b.pipeline, b.source, b.sink, new Checkpoints(b.store, b.pipeline, b.leaseWait,
                        b.sink.checkpointStore().filter(own -> own == b.store).isPresent()), b.batchRows,
                b.readRows == 0 ? b.batchRows : b.readRows, b.batchBytes, b.queueCapacity,
                b.flushRows == 0 ? 1 : b.flushRows,
                b.retryPolicy, b.deadLetters, b.listener, b.progressInterval, b.truncateBeforeSnapshot, b.catchUpTimeout,
                b.resnapshotWhenFeedLost, stop);
        this.tables = List.copyOf(b.tables);
        this.parallelism = b.parallelism;
        this.pollInterval = b.pollInterval;
        this.streamIdle = b.streamIdle;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The pipeline name. */
    public String pipeline() {
        return ctx.pipeline();
    }

    /**
     * Runs every table once: snapshots or incremental reads until caught up; CDC tables stream until the feed
     * has been idle for {@code streamIdle}. Returns the report; a table's failure is in the report, not thrown.
     * One run at a time: fails while another {@code runOnce} or continuous mode runs. {@link #stop()} from
     * another thread ends the run gracefully.
     */
    public SyncReport runOnce() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("engine of pipeline " + pipeline() + " is closed");
            }
            if (loop != null) {
                throw new IllegalStateException("engine of pipeline " + pipeline() + " runs continuously; stop() it first");
            }
            if (!runLock.tryLock()) {
                throw new IllegalStateException("engine of pipeline " + pipeline() + " is already running a sync");
            }
            stop.set(false);
        }
        try {
            ctx.checkpoints().acquire();
            return cycle(streamIdle, null);
        } finally {
            try {
                closeStream();
                ctx.checkpoints().release();
            } finally {
                runLock.unlock();
            }
        }
    }

    /**
     * Drops the pipeline: clears its checkpoints (every table's and the change feed's) under the pipeline's lease,
     * then releases what its change feed holds on the source (PostgreSQL: the replication slot, which retains the
     * server's log until dropped, and the publication when no other slot of the database can read it). The target
     * tables are left as they are. A later run starts afresh with snapshots. Refused while another process runs
     * the pipeline (its lease) or reads the feed.
     *
     * @return one line per thing released or kept, for the log and the command line
     */
    public List<String> drop() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("engine of pipeline " + pipeline() + " is closed");
            }
            if (loop != null) {
                throw new IllegalStateException("engine of pipeline " + pipeline() + " runs continuously; stop() it first");
            }
            if (!runLock.tryLock()) {
                throw new IllegalStateException("engine of pipeline " + pipeline() + " is already running a sync");
            }
        }
        try {
            closeStream();
            ctx.checkpoints().acquire();
            List<String> done = new ArrayList<>();
            boolean feed = false;
            for (TableSync t : tables) {
                ctx.checkpoints().clear(t.id());
                feed |= t.strategy() == Strategy.CDC;
            }
            ctx.checkpoints().clear(StreamRunner.STREAM_KEY);
            done.add("checkpoints of " + tables.size() + " table(s) and of the change feed cleared");
            if (feed && ctx.source() instanceof StreamingSource s) {
                done.add(s.dropFeed());
            }
            LOG.info("pipeline {} dropped: {}", pipeline(), String.join("; ", done));
            return done;
        } finally {
            try {
                ctx.checkpoints().release();
            } finally {
                runLock.unlock();
            }
        }
    }

    private SyncReport cycle(Duration idle, Duration maxStreamTime) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        List<TableSync> batch = new ArrayList<>();
        List<TableSync> cdc = new ArrayList<>();
        for (TableSync t : tables) {
            (t.strategy() == Strategy.CDC ? cdc : batch).add(t);
        }
        List<TableReport> reports = new ArrayList<>(runTables(batch));
        if (!cdc.isEmpty() && !stop.get()) {
            if (streamRunner == null) {
                streamRunner = new StreamRunner(ctx, cdc);
            }
            reports.addAll(streamRunner.run(idle, maxStreamTime));
        }
        SyncReport report = new SyncReport(pipeline(), started, Duration.ofNanos(System.nanoTime() - t0), reports);
        lastReport = report;
        try {
            ctx.listener().onRunFinished(report);
        } catch (RuntimeException e) {
            LOG.warn("pipeline {}: listener failed: {}", pipeline(), e.toString());
        }
        LOG.info("pipeline {}: run finished in {} ms\n{}", pipeline(), report.duration().toMillis(), report.toText());
        return report;
    }

    private List<TableReport> runTables(List<TableSync> list) {
        if (parallelism <= 1 || list.size() <= 1) {
            List<TableReport> out = new ArrayList<>();
            for (TableSync t : list) {
                if (stop.get()) {
                    break;
                }
                out.add(new TableRunner(ctx, t).run());
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, list.size()), r -> {
            Thread th = new Thread(r, "dbsync-table-" + pipeline());
            th.setDaemon(true);
            return th;
        });
        try {
            List<Future<TableReport>> futures = new ArrayList<>();
            for (TableSync t : list) {
                futures.add(pool.submit(() -> new TableRunner(ctx, t).run()));
            }
            List<TableReport> out = new ArrayList<>();
            for (Future<TableReport> f : futures) {
                try {
                    out.add(f.get());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SyncException(ErrorType.INTERNAL, "pipeline " + pipeline() + ": interrupted", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new SyncException(ErrorType.INTERNAL, "pipeline " + pipeline() + ": " + e.getCause(), e.getCause());
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Starts continuous mode in a background thread: every {@code pollInterval} each table is brought up to
     * date; CDC tables stream between polls. Failed tables are retried at the next interval.
     */
    public void start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("engine of pipeline " + pipeline() + " is closed");
            }
            if (loop != null) {
                if (!stop.get()) {
                    return;
                }
                throw new IllegalStateException("engine of pipeline " + pipeline() + " is still stopping; wait for stop()");
            }
            if (runLock.isLocked()) {
                throw new IllegalStateException("engine of pipeline " + pipeline() + " is running a sync (runOnce)");
            }
            ctx.checkpoints().acquire();
            stop.set(false);
            Thread t = new Thread(this::loop, "dbsync-" + pipeline());
            t.setDaemon(true);
            loop = t;
            t.start();
        }
    }

    private void loop() {
        try {
            while (!stop.get()) {
                long t0 = System.nanoTime();
                runLock.lock();
                try {
                    cycle(null, pollInterval);
                } catch (RuntimeException e) {
                    LOG.error("pipeline {}: run failed, retrying in {}: {}", pipeline(), pollInterval, e.toString(), e);
                } finally {
                    runLock.unlock();
                }
                long left = pollInterval.toMillis() - (System.nanoTime() - t0) / 1_000_000;
                synchronized (stop) {
                    if (left > 0 && !stop.get()) {
                        try {
                            stop.wait(left);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
            }
        } finally {
            runLock.lock();
            try {
                closeStream();
                ctx.checkpoints().release();
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: releasing the lease: {}", pipeline(), e.toString());
            } finally {
                runLock.unlock();
            }
            synchronized (lifecycle) {
                if (loop == Thread.currentThread()) {
                    loop = null;
                }
            }
        }
    }

    /**
     * Stops gracefully: the batch being written completes and its checkpoint is saved. Ends continuous mode, and
     * also a {@link #runOnce()} running in another thread. Waits up to {@code timeout} for continuous mode to end;
     * {@link #isRunning()} stays true until it has.
     */
    public void stop(Duration timeout) {
        Thread t;
        synchronized (lifecycle) {
            t = loop;
            stop.set(true);
        }
        synchronized (stop) {
            stop.notifyAll();
        }
        if (t != null) {
            try {
                t.join(timeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warn("pipeline {}: still finishing a batch after {}", pipeline(), timeout);
            }
        }
    }

    /** {@link #stop(Duration)} with a one-minute timeout. */
    public void stop() {
        stop(Duration.ofMinutes(1));
    }

    /** Whether continuous mode runs. */
    public boolean isRunning() {
        synchronized (lifecycle) {
            return loop != null && loop.isAlive();
        }
    }

    /** The report of the last completed run, or null before the first. */
    public SyncReport lastReport() {
        return lastReport;
    }

    private void closeStream() {
        if (streamRunner != null) {
            streamRunner.close();
            streamRunner = null;
        }
    }

    /**
     * Stops if running, waits for a run in progress to end, then closes the sink, the source and the store, in
     * that order. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        stop();
        runLock.lock();
        try {
            closeQuietly(ctx.sink());
            closeQuietly(ctx.source());
            try {
                ctx.checkpoints().release();
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: releasing the lease: {}", pipeline(), e.toString());
            }
            closeQuietly(ctx.checkpoints().store());
        } finally {
            runLock.unlock();
        }
    }

    private void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("pipeline {}: closing {}: {}", pipeline(), c.getClass().getSimpleName(), e.toString());
        }
    }

    /** Builds a {@link SyncEngine}. Not thread-safe. */
    public static final class Builder {
        private String pipeline = "default";
        private Source source;
        private Sink sink;
        private CheckpointStore store;
        private final List<TableSync> tables = new ArrayList<>();
        private int batchRows = 10_000;
        private int readRows;
        private long batchBytes = 32L << 20;
        private int queueCapacity = 4;
        private long flushRows;
        private int parallelism = 1;
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private DeadLetterHandler deadLetters = DeadLetterHandler.failFast();
        private SyncListener listener = new SyncListener() { };
        private Duration progressInterval = Duration.ofSeconds(10);
        private Duration pollInterval = Duration.ofSeconds(10);
        private Duration streamIdle = Duration.ofSeconds(2);
        private Duration catchUpTimeout = Duration.ofMinutes(10);
        private boolean resnapshotWhenFeedLost = true;
        private Duration leaseWait = Duration.ofSeconds(15);
        private boolean truncateBeforeSnapshot = true;

        private Builder() {
        }

        /** The pipeline name; checkpoints are kept under it. Default {@code default}. */
        public Builder pipeline(String name) {
            this.pipeline = requireNonNull(name, "pipeline is null");
            return this;
        }

        public Builder source(Source source) {
            this.source = requireNonNull(source, "source is null");
            return this;
        }

        public Builder sink(Sink sink) {
            this.sink = requireNonNull(sink, "sink is null");
            return this;
        }

        /** Where checkpoints are kept; default: the sink's own store if it has one, else none (error). */
        public Builder checkpointStore(CheckpointStore store) {
            this.store = requireNonNull(store, "checkpointStore is null");
            return this;
        }

        public Builder table(TableSync table) {
            tables.add(requireNonNull(table, "table is null"));
            return this;
        }

        public Builder tables(List<TableSync> list) {
            list.forEach(this::table);
            return this;
        }

        /**
         * Most rows per source read. Default 0: {@link #batchRows}. Reads are bounded by {@link #batchBytes}
         * too (sized from the row size observed), and are split into batches. Larger reads are not always
         * faster: PostgreSQL to PostgreSQL measured best with reads the size of a batch.
         */
        public Builder readRows(int rows) {
            this.readRows = rows;
            return this;
        }

        /** Most events per batch written to the sink. Default 10,000. */
        public Builder batchRows(int rows) {
            this.batchRows = rows;
            return this;
        }

        /** Most estimated bytes per batch. Default 32 MiB. */
        public Builder batchBytes(long bytes) {
            this.batchBytes = bytes;
            return this;
        }

        /** Batches read ahead of the writer per table. Default 4. */
        public Builder queueCapacity(int batches) {
            this.queueCapacity = batches;
            return this;
        }

        /**
         * Rows written between sink flushes (and checkpoints). Default 0: flush after every batch. A larger
         * value lets a buffering sink (e.g. ClickHouse) send fewer, larger inserts while batches, and so
         * memory, stay small; after a crash, at most this many rows are written again.
         */
        public Builder flushRows(long rows) {
            this.flushRows = rows;
            return this;
        }

        /** Tables synced at the same time. Default 1. */
        public Builder parallelism(int tables) {
            this.parallelism = tables;
            return this;
        }

        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = requireNonNull(policy, "retryPolicy is null");
            return this;
        }

        /** Where rejected records go. Default {@link DeadLetterHandler#failFast()}. */
        public Builder deadLetterHandler(DeadLetterHandler handler) {
            this.deadLetters = requireNonNull(handler, "deadLetterHandler is null");
            return this;
        }

        public Builder listener(SyncListener listener) {
            this.listener = requireNonNull(listener, "listener is null");
            return this;
        }

        /** How often progress is logged during long reads. Default 10 s. */
        public Builder progressInterval(Duration interval) {
            this.progressInterval = requireNonNull(interval, "progressInterval is null");
            return this;
        }

        /** Continuous mode: time between incremental polls. Default 10 s. */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = requireNonNull(interval, "pollInterval is null");
            return this;
        }

        /** {@link #runOnce()} with CDC tables: stop streaming after the feed was idle this long. Default 2 s. */
        public Builder streamIdle(Duration idle) {
            this.streamIdle = requireNonNull(idle, "streamIdle is null");
            return this;
        }

        /**
         * {@link #runOnce()} with CDC tables: how long the feed may take to deliver everything committed before the
         * run started, however quiet it is meanwhile; past it the tables of the feed fail, saying how far it got.
         * Default 10 minutes.
         */
        public Builder streamCatchUpTimeout(Duration timeout) {
            this.catchUpTimeout = requireNonNull(timeout, "streamCatchUpTimeout is null");
            return this;
        }

        /**
         * What to do when the change feed cannot resume from its saved position ({@link dev.dbsync.spi.FeedLostException}:
         * a dropped or invalidated slot, a resume token past the history): true (default) snapshots every table of
         * the feed again from a new start; false fails the feed's tables.
         */
        public Builder resnapshotWhenFeedLost(boolean value) {
            this.resnapshotWhenFeedLost = value;
            return this;
        }

        /**
         * How long a run waits for the pipeline's lease while another holder has it before it fails naming the holder:
         * a process killed a moment ago may hold a lease that expires shortly (stores whose leases have a lifetime).
         * Default 15 s; zero fails at once.
         */
        public Builder leaseWait(Duration wait) {
            this.leaseWait = requireNonNull(wait, "leaseWait is null");
            return this;
        }

        /** Whether a fresh full snapshot first empties the target (when the sink can). Default true. */
        public Builder truncateBeforeSnapshot(boolean value) {
            this.truncateBeforeSnapshot = value;
            return this;
        }

        /** Validates the settings, naming the first wrong one, and builds the engine. */
        public SyncEngine build() {
            if (source == null) {
                throw new IllegalArgumentException("pipeline " + pipeline + ": source is not set");
            }
            if (sink == null) {
                throw new IllegalArgumentException("pipeline " + pipeline + ": sink is not set");
            }
            if (store == null) {
                store = sink.checkpointStore().orElseThrow(() -> new IllegalArgumentException("pipeline " + pipeline
                        + ": checkpointStore is not set and the sink offers none"));
            }
            if (tables.isEmpty()) {
                throw new IllegalArgumentException("pipeline " + pipeline + ": no tables configured");
            }
            Set<String> ids = new HashSet<>();
            Set<String> targets = new HashSet<>();
            for (TableSync t : tables) {
                if (!ids.add(t.id())) {
                    throw new IllegalArgumentException("pipeline " + pipeline + ": table '" + t.id() + "' is configured twice");
                }
                if (!targets.add(t.target())) {
                    throw new IllegalArgumentException("pipeline " + pipeline + ": two tables write to target '" + t.target() + "'");
                }
            }
            check(batchRows >= 1, "batchRows must be at least 1, got " + batchRows);
            check(readRows >= 0, "readRows must not be negative, got " + readRows);
            check(batchBytes >= 1024, "batchBytes must be at least 1024, got " + batchBytes);
            check(queueCapacity >= 1, "queueCapacity must be at least 1, got " + queueCapacity);
            check(flushRows >= 0, "flushRows must not be negative, got " + flushRows);
            check(parallelism >= 1, "parallelism must be at least 1, got " + parallelism);
            check(!pollInterval.isNegative() && !pollInterval.isZero(), "pollInterval must be positive");
            check(!streamIdle.isNegative() && !streamIdle.isZero(), "streamIdle must be positive");
            check(!catchUpTimeout.isNegative() && !catchUpTimeout.isZero(), "streamCatchUpTimeout must be positive");
            return new SyncEngine(this);
        }

        private void check(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException("pipeline " + pipeline + ": " + message);
            }
        }
    }
}
