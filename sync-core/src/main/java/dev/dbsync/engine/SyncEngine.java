package dev.dbsync.engine;

import static java.util.Objects.requireNonNull;

import dev.dbsync.internal.Checkpoint;
import dev.dbsync.internal.Checkpoints;
import dev.dbsync.internal.EngineContext;
import dev.dbsync.internal.FanOutSink;
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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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

    /** Where a pipeline with several sinks records which of them are attached (in step with its checkpoints). */
    static final String SINKS_KEY = "__sinks__";
    /** The key prefix of one sink's snapshot on its own. */
    static final String SINK_PREFIX = "__sink__/";

    private final EngineContext ctx;
    /** The sinks of a pipeline with named sinks; null with one plain sink. */
    private final FanOutSink fanOut;
    private final List<TableSync> tables;
    private final int parallelism;
    private final Duration pollInterval;
    private final Duration streamIdle;
    private final Duration stopTimeout;
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
        this.fanOut = b.members.isEmpty() ? null
                : new FanOutSink(b.pipeline, b.members, b.lagPolicy, b.maxLag, stop::get, b.flushRows == 0);
        Sink sink = fanOut == null ? b.sink : fanOut;
        this.ctx = new EngineContext(b.pipeline, b.source, sink, new Checkpoints(b.store, b.pipeline, b.leaseWait,
                        sink.checkpointStore().filter(own -> own == b.store).isPresent()), b.batchRows,
                b.readRows == 0 ? b.batchRows : b.readRows, b.batchBytes, b.queueCapacity,
                b.flushRows == 0 ? 1 : b.flushRows,
                b.retryPolicy, b.deadLetters, b.listener, b.progressInterval, b.truncateBeforeSnapshot, b.catchUpTimeout,
                b.resnapshotWhenFeedLost, stop, b.feedWarnBytes);
        this.tables = List.copyOf(b.tables);
        this.parallelism = b.parallelism;
        this.pollInterval = b.pollInterval;
        this.streamIdle = b.streamIdle;
        this.stopTimeout = b.stopTimeout;
        if (b.source instanceof StreamingSource feed) {
            feed.pipelineName(b.pipeline);
        }
        if (fanOut != null) {
            fanOut.membership((member, reason) -> detached(member, reason));
        }
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
                haltBackfills();
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
            if (fanOut != null) {
                for (FanOutSink.Member m : fanOut.members()) {
                    clearSinkSnapshot(m.name());
                }
                Membership saved = membership();
                if (saved != null) {
                    saved.own().forEach(this::clearSinkSnapshot);
                }
                ctx.checkpoints().clear(SINKS_KEY);
            }
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
        Map<String, SinkReport> backfilled = new LinkedHashMap<>(fanOut == null ? Map.of() : prepareSinks());
        List<TableReport> reports = new ArrayList<>();
        if (!cdc.isEmpty() && !stop.get() && streamRunner == null) {
            streamRunner = new StreamRunner(ctx, cdc);
            if (fanOut != null) {
                streamRunner.holdAcknowledgements(this::feedHeld);
            }
        }
        if (!cdc.isEmpty() && !batch.isEmpty() && !stop.get()) {
            // The feed runs on its own thread beside the other tables: a long snapshot or incremental read must not
            // leave the feed unread (the server drops a replication connection it does not hear from).
            StreamRunner runner = streamRunner;
            java.util.concurrent.CompletableFuture<List<TableReport>> feed = new java.util.concurrent.CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    feed.complete(runner.run(idle, maxStreamTime));
                } catch (Throwable e) {
                    feed.completeExceptionally(e);
                }
            }, "dbsync-feed-" + pipeline());
            t.setDaemon(true);
            t.start();
            reports.addAll(runTables(batch));
            try {
                reports.addAll(feed.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SyncException(ErrorType.INTERNAL, "pipeline " + pipeline() + ": interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new SyncException(ErrorType.INTERNAL, "pipeline " + pipeline() + ": " + e.getCause(), e.getCause());
            }
        } else {
            reports.addAll(runTables(batch));
            if (!cdc.isEmpty() && !stop.get()) {
                reports.addAll(streamRunner.run(idle, maxStreamTime));
            }
        }
        if (fanOut != null) {
            // runOnce brings every sink up to its start: it waits for the snapshots of sinks on their own
            backfilled.putAll(joinSinks(idle != null));
            if (streamRunner != null) {
                try {
                    // a sink that failed no longer holds the feed: what was saved meanwhile is acknowledged now
                    streamRunner.acknowledgeHeld();
                } catch (RuntimeException e) {
                    LOG.warn("pipeline {}: acknowledging the change feed: {}", pipeline(), e.toString());
                }
            }
        }
        SyncReport report = new SyncReport(pipeline(), started, Duration.ofNanos(System.nanoTime() - t0), reports,
                fanOut == null ? List.of() : sinkReports(backfilled),
                streamRunner == null || cdc.isEmpty() ? null : streamRunner.feedStatus(true));
        lastReport = report;
        try {
            ctx.listener().onRunFinished(report);
        } catch (RuntimeException e) {
            LOG.warn("pipeline {}: listener failed: {}", pipeline(), e.toString());
        }
        LOG.info("pipeline {}: run finished in {} ms\n{}", pipeline(), report.duration().toMillis(), report.toText());
        return report;
    }

    // ---- several sinks -------------------------------------------------------------------------------------------

    /** The saved membership: attached sink names, and detached ones with why and since when. */
    /** @param own sinks with checkpoints of their own (a snapshot on its own begun): cleared if they are removed */
    private record Membership(Set<String> attached, Map<String, String> detached, Set<String> own) {
        Membership(Set<String> attached, Map<String, String> detached) {
            this(attached, detached, new LinkedHashSet<>());
        }

        static Membership parse(String text) {
            Set<String> attached = new LinkedHashSet<>();
            Map<String, String> detached = new LinkedHashMap<>();
            Set<String> own = new LinkedHashSet<>();
            for (String line : text.split("\n")) {
                String[] f = line.split("\t", 3);
                if (f.length >= 2 && f[0].equals("attached")) {
                    attached.add(f[1]);
                } else if (f.length == 3 && f[0].equals("detached")) {
                    detached.put(f[1], f[2]);
                } else if (f.length >= 2 && f[0].equals("own")) {
                    own.add(f[1]);
                }
            }
            return new Membership(attached, detached, own);
        }

        String encode() {
            StringBuilder sb = new StringBuilder();
            attached.forEach(a -> sb.append("attached\t").append(a).append('\n'));
            own.forEach(o -> sb.append("own\t").append(o).append('\n'));
            detached.forEach((d, why) -> sb.append("detached\t").append(d).append('\t')
                    .append(why.replace('\n', ' ').replace('\t', ' ')).append('\n'));
            return sb.toString();
        }
    }

    private synchronized Membership membership() {
        return ctx.checkpoints().loadText(SINKS_KEY).map(Membership::parse).orElse(null);
    }

    /** A member failed past sink.max.lag under DETACH: recorded before any later checkpoint is saved. */
    private synchronized void detached(String member, String reason) {
        Membership m = membership();
        Membership now = new Membership(new LinkedHashSet<>(m == null ? fanOut.members().stream().map(FanOutSink.Member::name)
                .toList() : m.attached()), new LinkedHashMap<>(m == null ? Map.of() : m.detached()));
        if (m != null) {
            now.own().addAll(m.own());
        }
        now.attached().remove(member);
        now.detached().put(member, Instant.now() + " " + reason);
        ctx.checkpoints().saveText(SINKS_KEY, now.encode());
    }

    private boolean anyCheckpoint() {
        if (ctx.checkpoints().load(StreamRunner.STREAM_KEY).isPresent()) {
            return true;
        }
        for (TableSync t : tables) {
            if (ctx.checkpoints().load(t.id()).isPresent()) {
                return true;
            }
        }
        return false;
    }

    private Checkpoints sinkSnapshotCheckpoints(String member) {
        return ctx.checkpoints().prefixed(SINK_PREFIX + member + "/");
    }

    private void clearSinkSnapshot(String member) {
        Checkpoints own = sinkSnapshotCheckpoints(member);
        for (TableSync t : tables) {
            own.clear(t.id());
        }
        own.clear(StreamRunner.STREAM_KEY);
    }

    /**
     * A sink being snapshotted on its own (new, or detached before), on its own thread beside the other sinks, under
     * its own checkpoint keys; it joins them when done ({@link #join}).
     */
    private final class Backfill {
        final String name;
        final String detachedWhy;
        /** The pipeline's feed position when the snapshot began: the feed brings the sink on from there; null without one. */
        final dev.dbsync.spi.Position hold;
        /** Whether the others go on meanwhile; false when they wait (a feed whose positions have no order). */
        final boolean concurrent;
        final AtomicBoolean halt = new AtomicBoolean();
        final FanOutSink alone;
        final EngineContext context;
        final long[] counts = new long[4];
        volatile SinkReport failure;
        /** Whether the feed is no longer held for it (it failed: its next try starts from a new position). */
        volatile boolean released;
        /** Whether every table it snapshots is done. */
        volatile boolean completed;
        Thread thread;

        Backfill(String name, String detachedWhy, dev.dbsync.spi.Position hold, boolean concurrent) {
            this.name = name;
            this.detachedWhy = detachedWhy;
            this.hold = hold;
            this.concurrent = concurrent;
            this.alone = new FanOutSink(pipeline(), List.of(fanOut.member(name)), SinkLagPolicy.PAUSE, Duration.ZERO, halt::get);
            // always emptied (or replaced) first: a sink that was detached holds rows whose versions would otherwise win
            // over the snapshot's; a lost feed fails its catch-up rather than snapshotting again under the others
            this.context = new EngineContext(ctx.pipeline(), ctx.source(), alone, sinkSnapshotCheckpoints(name), ctx.batchRows(),
                    ctx.readRows(), ctx.batchBytes(), ctx.queueCapacity(), ctx.flushRows(), ctx.retryPolicy(), ctx.deadLetters(),
                    ctx.listener(), ctx.progressInterval(), true, ctx.catchUpTimeout(), false, halt, ctx.feedWarnBytes());
        }

        /** Snapshots every table that keeps state between runs (plain full tables are refreshed at the join). */
        void snapshot() {
            try {
                snapshotTables();
            } catch (RuntimeException | Error e) {
                LOG.error("pipeline {}: sink '{}': its snapshot on its own failed: {}", pipeline(), name, e.toString(), e);
                failure = behind("its snapshot on its own failed: " + e);
                if (!halt.get()) {
                    try {
                        release();
                    } catch (RuntimeException again) {
                        LOG.warn("pipeline {}: sink '{}': releasing its feed position: {}", pipeline(), name, again.toString());
                    }
                }
            }
        }

        private void snapshotTables() {
            for (TableSync t : tables) {
                if (halt.get()) {
                    break;
                }
                if (t.strategy() == Strategy.FULL && !t.continueIncrementally()) {
                    continue;
                }
                // a CDC table is read as the feed's snapshots are (version 0, superseded by every change); a table
                // followed by its cursor is snapshotted and then read incrementally up to now, as it would be alone
                TableReport r = new TableRunner(context, t).run();
                String why = unfinished(t, r);
                if (why != null) {
                    failure = behind(why);
                    if (!halt.get()) {
                        release();
                    }
                    return;
                }
            }
            if (halt.get()) {
                failure = behind("its snapshot on its own was stopped before the end");
            } else {
                completed = true;
            }
        }

        /**
         * It failed (a sink still down, say): the feed must not be held for it meanwhile, however long that lasts. Its
         * position is forgotten first, then the hold goes; its next try snapshots the feed's tables again from a new
         * position (its snapshot of tables followed by a cursor resumes).
         */
        void release() {
            if (hold == null || released) {
                return;
            }
            Checkpoints own = context.checkpoints();
            own.clear(StreamRunner.STREAM_KEY);
            feedTables().forEach(t -> own.clear(t.id()));
            released = true;
            held.remove(name);
            LOG.info("pipeline {}: the change feed is no longer held for sink '{}'", pipeline(), name);
        }

        /** Why a table of this sink's own run is not done; null when it is. */
        String unfinished(TableSync t, TableReport r) {
            if (!r.succeeded()) {
                return "its snapshot of table '" + t.id() + "' failed: " + r.error();
            }
            boolean done = context.checkpoints().load(t.id())
                    .map(cp -> cp.phase() == Checkpoint.Phase.CHANGES || cp.phase() == Checkpoint.Phase.DONE).orElse(false);
            return done ? null : "its snapshot of table '" + t.id() + "' was stopped before the end";
        }

        synchronized long[] takeCounts() {
            FanOutSink.Counts c = alone.takeCounts(name);
            counts[0] += c.upserted;
            counts[1] += c.deleted;
            counts[2] += c.skipped;
            counts[3] += c.failed;
            return counts.clone();
        }

        SinkReport behind(String why) {
            long[] c = takeCounts();
            return new SinkReport(name, SinkReport.State.BEHIND, c[0], c[1], c[2], c[3],
                    why + (detachedWhy == null ? "" : "; detached " + detachedWhy));
        }

        boolean finished() {
            return thread == null || !thread.isAlive();
        }

        void await() {
            boolean interrupted = false;
            while (!finished()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true; // the snapshot's writes must end before anything else uses its sink
                    halt.set(true);
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The sinks whose snapshot on its own began at a saved feed position the source must keep: the feed's
     * acknowledgements are held back while there is any (a stopped snapshot keeps its hold until it resumes and joins).
     */
    private final Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The sinks being snapshotted on their own, by name. */
    private final Map<String, Backfill> backfills = new java.util.concurrent.ConcurrentHashMap<>();
    /** Whether the keys of sinks that joined just before a crash have been cleared in this engine's life. */
    private boolean cleared;

    private List<TableSync> feedTables() {
        return tables.stream().filter(t -> t.strategy() == Strategy.CDC).toList();
    }

    /**
     * Before a run of a pipeline with several sinks: decides which sinks are in step with the pipeline's
     * checkpoints and starts a snapshot of its own for each of the others (new, or detached before). The other sinks
     * go on meanwhile, unless the source's change feed has no order of positions: then they wait here for it, and the
     * reports of those are returned.
     */
    private Map<String, SinkReport> prepareSinks() {
        List<String> configured = fanOut.members().stream().map(FanOutSink.Member::name).toList();
        Membership saved = membership();
        Membership m;
        if (saved == null) {
            // a new pipeline: all sinks start together; an existing one that gains sinks: its first sink is the one
            // its checkpoints were made for, the others are new
            boolean existing = anyCheckpoint();
            m = new Membership(new LinkedHashSet<>(existing ? configured.subList(0, 1) : configured), new LinkedHashMap<>());
            if (existing && configured.size() > 1) {
                LOG.info("pipeline {}: checkpoints exist from before it had several sinks; they are taken as sink '{}''s,"
                        + " the other sinks are snapshotted on their own", pipeline(), configured.get(0));
            }
        } else {
            m = new Membership(new LinkedHashSet<>(saved.attached()), new LinkedHashMap<>(saved.detached()),
                    new LinkedHashSet<>(saved.own()));
            for (String gone : new ArrayList<>(m.own())) {
                if (!configured.contains(gone)) {
                    // a sink removed during its snapshot on its own: its position there must not be trusted if it returns
                    clearSinkSnapshot(gone);
                    m.own().remove(gone);
                    LOG.info("pipeline {}: sink '{}' is no longer configured; its snapshot on its own is dropped", pipeline(), gone);
                }
            }
            for (String gone : new ArrayList<>(m.attached())) {
                if (!configured.contains(gone)) {
                    m.attached().remove(gone);
                    LOG.info("pipeline {}: sink '{}' is no longer configured; released", pipeline(), gone);
                }
            }
            m.detached().keySet().retainAll(configured);
            if (m.attached().isEmpty()) {
                // no sink is in step with the checkpoints: they describe nothing that was written; start afresh
                LOG.warn("pipeline {}: no sink is in step with the pipeline's checkpoints (all were detached); every sink"
                        + " starts again with a snapshot", pipeline());
                for (TableSync t : tables) {
                    ctx.checkpoints().clear(t.id());
                }
                ctx.checkpoints().clear(StreamRunner.STREAM_KEY);
                for (String name : configured) {
                    clearSinkSnapshot(name);
                }
                m.attached().addAll(configured);
                m.detached().clear();
                m.own().clear();
            }
        }
        ctx.checkpoints().saveText(SINKS_KEY, m.encode());
        fanOut.attachOnly(m.attached());
        if (!cleared) {
            // a sink that joined just before a crash may have left its own keys; a later snapshot of its own starts clean
            m.attached().forEach(this::clearSinkSnapshot);
            cleared = true;
        }
        Map<String, SinkReport> out = new LinkedHashMap<>();
        for (String name : configured) {
            if (m.attached().contains(name) || stop.get() || backfills.containsKey(name)) {
                continue;
            }
            if (fanOut.busy(name)) {
                LOG.info("pipeline {}: sink '{}' still runs the call it was detached for; its snapshot on its own waits for"
                        + " it to end", pipeline(), name);
                if (sinkSnapshotCheckpoints(name).load(StreamRunner.STREAM_KEY).isPresent()) {
                    held.add(name); // a snapshot of its own began at a feed position that must stay until it resumes
                }
                continue;
            }
            Backfill b = startBackfill(name, m.detached().get(name));
            if (!b.concurrent) {
                b.await();
                out.put(name, finish(b, true));
            }
        }
        return out;
    }

    /** Starts a sink's snapshot on its own, resuming one a previous run began. */
    private Backfill startBackfill(String name, String detachedWhy) {
        synchronized (this) {
            Membership m = membership();
            if (m.own().add(name)) {
                ctx.checkpoints().saveText(SINKS_KEY, m.encode());
            }
        }
        List<TableSync> feed = feedTables();
        Checkpoints own = sinkSnapshotCheckpoints(name);
        dev.dbsync.spi.Position hold = null;
        if (!feed.isEmpty()) {
            Checkpoint saved = own.load(StreamRunner.STREAM_KEY).orElse(null);
            if (saved == null) {
                saved = ctx.checkpoints().load(StreamRunner.STREAM_KEY).orElse(null);
                if (saved != null) {
                    // saved before the snapshot starts: the feed brings the sink on from here, so the source keeps it
                    own.save(StreamRunner.STREAM_KEY, new Checkpoint(Checkpoint.Phase.CHANGES, null, saved.changesFrom(), 0,
                            StreamRunner.feedConfig(feed)));
                }
            }
            hold = saved == null ? null : saved.changesFrom();
        }
        boolean ordered = ctx.source() instanceof StreamingSource s && s.positionOrder().isPresent();
        boolean concurrent = feed.isEmpty() || hold != null && ordered;
        Backfill b = new Backfill(name, detachedWhy, hold, concurrent);
        LOG.info("pipeline {}: sink '{}' is {}; snapshotting it on its own before it joins the others{}", pipeline(), name,
                detachedWhy == null ? "new" : "behind (detached " + detachedWhy + ")",
                concurrent ? ", which go on meanwhile" : ", which wait meanwhile (the change feed's positions have no order)");
        Thread t = new Thread(b::snapshot, "dbsync-backfill-" + pipeline() + "-" + name);
        t.setDaemon(true);
        b.thread = t;
        backfills.put(name, b);
        if (hold != null) {
            held.add(name);
        }
        t.start();
        return b;
    }

    /** Whether the feed's acknowledgements are held back: a sink that will be brought on from an older position is out. */
    private boolean feedHeld() {
        return !held.isEmpty();
    }

    /**
     * After the others' run: joins every sink whose snapshot on its own has ended (waiting for them first when
     * {@code wait}), and returns their reports.
     */
    private Map<String, SinkReport> joinSinks(boolean wait) {
        Map<String, SinkReport> out = new LinkedHashMap<>();
        for (Backfill b : new ArrayList<>(backfills.values())) {
            if (wait || stop.get()) {
                if (stop.get()) {
                    b.halt.set(true);
                }
                b.await();
            }
            if (b.finished()) {
                out.put(b.name, finish(b, false));
            }
        }
        return out;
    }

    /** A sink's snapshot on its own has ended: joins it to the others, or reports why it is still behind. */
    /** @param beforeRun whether the run of all sinks comes next (it refreshes the plain full tables for this one too) */
    private SinkReport finish(Backfill b, boolean beforeRun) {
        try {
            SinkReport r;
            try {
                r = b.failure != null ? b.failure
                        : !b.completed ? b.behind("its snapshot on its own ended before the end") : join(b, beforeRun);
            } catch (RuntimeException e) {
                LOG.error("pipeline {}: sink '{}' could not join the others: {}", pipeline(), b.name, e.toString(), e);
                r = b.behind("joining the others failed: " + e.getMessage());
            }
            if (r.state() == SinkReport.State.BEHIND && !b.halt.get() && !stop.get()) {
                b.release();
            }
            return r;
        } finally {
            backfills.remove(b.name);
        }
    }

    /**
     * Brings a sink whose snapshot on its own is done up to the others, while they wait, then attaches it: tables
     * followed by a cursor are read on up to now for it alone (the others' positions are older, so it misses nothing
     * and is only sent current rows again), plain full tables are refreshed for it, and the feed's changes since its
     * snapshot began are written to it alone up to the others' position, and not past it (so no sink ever gets an
     * older value again). It then goes on with the others from their position.
     */
    private SinkReport join(Backfill b, boolean beforeRun) {
        for (TableSync t : tables) {
            if (t.strategy() == Strategy.CDC || beforeRun && t.strategy() == Strategy.FULL && !t.continueIncrementally()) {
                continue;
            }
            TableReport r = new TableRunner(b.context, t).run();
            String why = b.unfinished(t, r);
            if (why != null) {
                return b.behind(why.replace("its snapshot", "bringing it up to the others, its read"));
            }
        }
        List<TableSync> feed = feedTables();
        StreamRunner.HandOff handOff = null;
        if (!feed.isEmpty()) {
            dev.dbsync.spi.Position others = ctx.checkpoints().load(StreamRunner.STREAM_KEY).map(Checkpoint::changesFrom).orElse(null);
            if (!java.util.Objects.equals(others, b.hold)) {
                java.util.Comparator<dev.dbsync.spi.Position> order = ctx.source() instanceof StreamingSource s
                        ? s.positionOrder().orElse(null) : null;
                if (order == null || b.hold == null || others == null) {
                    clearSinkSnapshot(b.name);
                    return b.behind("the others moved on during its snapshot and the change feed cannot bring it up to them;"
                            + " it is snapshotted again");
                }
                closeStream(); // one reader of the feed at a time
                List<TableReport> reports = new ArrayList<>();
                boolean reached;
                try (StreamRunner up = new StreamRunner(b.context, feed)) {
                    LOG.info("pipeline {}: bringing sink '{}' from {} up to the others at {}", pipeline(), b.name, b.hold, others);
                    reached = up.catchUpTo(others, order, reports);
                    handOff = up.handOff();
                }
                if (!reached) {
                    if (handOff != null) {
                        handOff.stream().close();
                    }
                    String err = reports.stream().filter(r -> !r.succeeded()).map(TableReport::error).findFirst()
                            .orElse("stopped before it got there");
                    return b.behind("bringing it up to the others by the change feed: " + err);
                }
            }
        }
        synchronized (this) {
            Membership m = membership();
            m.attached().add(b.name);
            m.detached().remove(b.name);
            m.own().remove(b.name);
            ctx.checkpoints().saveText(SINKS_KEY, m.encode());
        }
        clearSinkSnapshot(b.name);
        held.remove(b.name);
        fanOut.attach(b.name);
        // the feed's writers are opened for the attached sinks: reopened with this one, on the feed that brought it up
        // (a replication slot opened again would decode the log it retained once more)
        closeStream();
        if (handOff != null) {
            streamRunner = new StreamRunner(ctx, feed);
            streamRunner.adopt(handOff);
            streamRunner.holdAcknowledgements(this::feedHeld);
        }
        LOG.info("pipeline {}: sink '{}' caught up by its own snapshot and joined the others", pipeline(), b.name);
        long[] c = b.takeCounts();
        return new SinkReport(b.name, SinkReport.State.BACKFILLED, c[0], c[1], c[2], c[3], null);
    }

    private List<SinkReport> sinkReports(Map<String, SinkReport> backfilled) {
        List<SinkReport> out = new ArrayList<>();
        Membership m = membership();
        for (FanOutSink.Member member : fanOut.members()) {
            String name = member.name();
            FanOutSink.Counts c = fanOut.takeCounts(name);
            SinkReport b = backfilled.get(name);
            String detachedNow = fanOut.takeDetachReason(name);
            if (detachedNow != null && !fanOut.isAttached(name)) {
                out.add(new SinkReport(name, SinkReport.State.DETACHED, c.upserted, c.deleted, c.skipped, c.failed, detachedNow));
            } else if (b != null && b.state() == SinkReport.State.BEHIND) {
                out.add(b);
            } else if (!fanOut.isAttached(name) && backfills.containsKey(name)) {
                Backfill running = backfills.get(name);
                long[] so = running.takeCounts();
                out.add(new SinkReport(name, SinkReport.State.BEHIND, so[0], so[1], so[2], so[3],
                        "being snapshotted on its own (" + so[0] + " rows so far)" + (running.concurrent
                                ? " while the others go on" : "") + (running.detachedWhy == null ? "" : "; detached "
                                + running.detachedWhy)));
            } else if (!fanOut.isAttached(name)) {
                String why = m == null ? null : m.detached().get(name);
                String wait = fanOut.busy(name) ? "the call it was detached for still runs; it is snapshotted on its own once"
                        + " that ends; " : "";
                out.add(new SinkReport(name, SinkReport.State.BEHIND, c.upserted, c.deleted, c.skipped, c.failed,
                        wait + (why == null ? "not yet snapshotted on its own" : "detached " + why)));
            } else {
                long u = c.upserted + (b == null ? 0 : b.upserted());
                long d = c.deleted + (b == null ? 0 : b.deleted());
                long k = c.skipped + (b == null ? 0 : b.skipped());
                long f = c.failed + (b == null ? 0 : b.failed());
                out.add(new SinkReport(name, b == null ? SinkReport.State.CURRENT : SinkReport.State.BACKFILLED, u, d, k, f, null));
            }
        }
        return out;
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
                haltBackfills();
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
        backfills.values().forEach(b -> b.halt.set(true));
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

    /** {@link #stop(Duration)} with the builder's {@code stopTimeout} (default one minute). */
    public void stop() {
        stop(stopTimeout);
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

    /** Stops the snapshots of sinks on their own (each after a completed batch) and waits for them: they resume later. */
    private void haltBackfills() {
        for (Backfill b : new ArrayList<>(backfills.values())) {
            b.halt.set(true);
            b.await();
            backfills.remove(b.name);
        }
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
        stop(stopTimeout);
        boolean locked = false;
        try {
            locked = runLock.tryLock(Math.max(1, stopTimeout.toMillis()), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!locked) {
            // a run stuck in a call that does not return (a database that stopped answering): closing its connections
            // under it is what ends that call; close() itself returns within its bound either way
            LOG.warn("pipeline {}: a run is still in progress after {}; closing the connections under it", pipeline(),
                    stopTimeout);
        }
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
            if (locked) {
                runLock.unlock();
            }
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
        private final List<FanOutSink.Member> members = new ArrayList<>();
        private SinkLagPolicy lagPolicy = SinkLagPolicy.DETACH;
        private Duration maxLag = Duration.ofMinutes(5);
        private long feedWarnBytes = 1L << 30;
        private Duration stopTimeout = Duration.ofMinutes(1);
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

        /**
         * Adds a named sink: a pipeline with named sinks reads its source once and writes every change to each of
         * them (one snapshot, one cursor read, one replication slot). The pipeline's checkpoints, and the
         * acknowledgement of the slot, advance only once every attached sink flushed. A sink added later to an
         * existing pipeline is snapshotted on its own while the others keep streaming (when the source's feed has a
         * {@link StreamingSource#positionOrder() position order}; otherwise they wait), then brought up to them and
         * joins them; one that fails or holds the others back past {@link #sinkMaxLag} is handled by
         * {@link #sinkLagPolicy}. Needs a {@link #checkpointStore} of its own.
         * Not combined with {@link #sink(Sink)}.
         */
        public Builder sink(String name, Sink sink) {
            return sink(name, sink, Map.of());
        }

        /**
         * {@link #sink(String, Sink)} with target table names of its own: {@code targets} maps the pipeline's
         * target name of a table to this sink's.
         */
        public Builder sink(String name, Sink sink, Map<String, String> targets) {
            return sink(name, sink, targets, null);
        }

        /**
         * {@link #sink(String, Sink, Map)} with a dead-letter handler of its own: the rows this sink refuses go there
         * (counted in its {@link SinkReport}), not to the pipeline's {@link #deadLetterHandler}; the other sinks keep
         * them. Null: the pipeline's handler.
         */
        public Builder sink(String name, Sink sink, Map<String, String> targets, DeadLetterHandler deadLetters) {
            requireNonNull(name, "sink name is null");
            requireNonNull(sink, "sink is null");
            members.add(new FanOutSink.Member(name, sink, requireNonNull(targets, "targets is null"), deadLetters));
            return this;
        }

        /** With several sinks: what to do with one that fails past {@link #sinkMaxLag}. Default {@code DETACH}. */
        public Builder sinkLagPolicy(SinkLagPolicy policy) {
            this.lagPolicy = requireNonNull(policy, "sinkLagPolicy is null");
            return this;
        }

        /**
         * With several sinks: how long a failing sink is retried, or a slow one (a call still running after the others'
         * returned) waited for, while the others wait, before {@link #sinkLagPolicy} applies. Default 5 minutes.
         */
        public Builder sinkMaxLag(Duration lag) {
            this.maxLag = requireNonNull(lag, "sinkMaxLag is null");
            return this;
        }

        /**
         * The change feed's retained log (e.g. a replication slot's WAL) above which the run logs a warning, the
         * report marks it and the listener is told. Default 1 GiB; 0 turns the warning off.
         */
        public Builder feedWarnRetained(long bytes) {
            this.feedWarnBytes = bytes;
            return this;
        }

        /**
         * How long {@link #stop()} and {@link #close()} wait for the batch in progress to complete. Past it, close()
         * closes the connections under a run that is stuck in a call (a database that stopped answering), so it
         * returns within about twice this bound whatever the run does. Default one minute.
         */
        public Builder stopTimeout(Duration timeout) {
            this.stopTimeout = requireNonNull(timeout, "stopTimeout is null");
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
            if (sink == null && members.isEmpty()) {
                throw new IllegalArgumentException("pipeline " + pipeline + ": sink is not set");
            }
            if (sink != null && !members.isEmpty()) {
                throw new IllegalArgumentException("pipeline " + pipeline + ": both a sink and named sinks are set; name every sink");
            }
            Set<String> names = new HashSet<>();
            for (FanOutSink.Member m : members) {
                if (m.name().isBlank() || m.name().contains("/") || !names.add(m.name())) {
                    throw new IllegalArgumentException("pipeline " + pipeline + ": sink name '" + m.name() + "' is "
                            + (m.name().isBlank() || m.name().contains("/") ? "not allowed (empty or with '/')" : "used twice"));
                }
            }
            check(!maxLag.isNegative(), "sinkMaxLag must not be negative");
            check(feedWarnBytes >= 0, "feedWarnRetained must not be negative");
            check(!stopTimeout.isNegative(), "stopTimeout must not be negative");
            if (store == null && !members.isEmpty()) {
                throw new IllegalArgumentException("pipeline " + pipeline + ": checkpointStore is not set (a pipeline with"
                        + " several sinks keeps its positions in a store of its own)");
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
