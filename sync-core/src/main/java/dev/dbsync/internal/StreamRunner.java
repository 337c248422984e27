package dev.dbsync.internal;

import dev.dbsync.engine.Strategy;
import dev.dbsync.engine.TableReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.FeedLostException;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.time.Duration;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the CDC tables of a pipeline: one change feed for all of them. The feed's position is checkpointed
 * under {@link #STREAM_KEY}; it is taken before any table's snapshot so the feed replays every change made
 * during the snapshots (harmless: writes are idempotent). After each polled batch is written and flushed the
 * position is saved and then acknowledged to the source.
 */
public final class StreamRunner implements AutoCloseable {

    /** The checkpoint name of the feed position of a pipeline. */
    public static final String STREAM_KEY = "__stream__";

    private static final Logger LOG = LoggerFactory.getLogger(StreamRunner.class);
    /** How often the feed's status is asked for while it streams. */
    private static final long STATUS_NANOS = 10_000_000_000L;
    /** How often a quiet feed's position is saved. */
    private static final long IDLE_SAVE_NANOS = 1_000_000_000L;

    private final EngineContext ctx;
    private final List<TableSync> tables;
    private final StreamingSource streaming;
    private final Retrier retrier;
    /** The feed's writers, one per target table, open while the feed is. */
    private final Map<String, TableOutput> outputs = new LinkedHashMap<>();
    /** What the feed did per table since the last report. */
    private final Map<String, TableOutput.Counters> reported = new LinkedHashMap<>();
    private ChangeStream stream;
    private Position position;
    private long lastStatus = System.nanoTime();
    private boolean warned;
    /**
     * Whether acknowledgements are held back: a sink being added to the pipeline will be brought up from an older
     * position of this feed, which the source must keep until then. Positions are still saved.
     */
    private volatile java.util.function.BooleanSupplier holdAcknowledgements = () -> false;
    /** While catching a sink up: where to stop (the others' position), and the feed's order; null otherwise. */
    private Position until;
    private java.util.Comparator<Position> order;
    private boolean reached;
    /** Events polled past {@code until}, not written: handed over with the stream. */
    private List<ChangeEvent> beyond = List.of();
    /** A stream handed over by the runner that brought a sink up, with its events not yet written; used by open(). */
    private HandOff adopted;
    /** Events to write before the next poll (those handed over). */
    private List<ChangeEvent> pending = List.of();

    /** An open feed handed from one runner to another, with the events it polled that the first did not write. */
    public record HandOff(ChangeStream stream, List<ChangeEvent> events) {
    }

    public StreamRunner(EngineContext ctx, List<TableSync> tables) {
        this.ctx = ctx;
        this.tables = List.copyOf(tables);
        if (!(ctx.source() instanceof StreamingSource)) {
            throw new ConfigException("tables", "strategy CDC needs a source with a change feed; "
                    + ctx.source().getClass().getSimpleName() + " has none");
        }
        this.streaming = (StreamingSource) ctx.source();
        this.retrier = new Retrier(ctx.retryPolicy(), "pipeline " + ctx.pipeline() + ", change feed");
    }

    /** A saved position not acknowledged because acknowledgements were held then; null when none. */
    private Position unacknowledged;

    /** Acknowledges a saved position to the source, unless acknowledgements are held (then it waits for them). */
    private void acknowledge(Position p) {
        if (holdAcknowledgements.getAsBoolean()) {
            unacknowledged = p;
            return;
        }
        stream.acknowledge(p);
        unacknowledged = null;
    }

    /** Acknowledges the last position saved while acknowledgements were held, once they no longer are. */
    public void acknowledgeHeld() {
        if (unacknowledged != null && stream != null && !holdAcknowledgements.getAsBoolean()) {
            stream.acknowledge(unacknowledged);
            unacknowledged = null;
        }
    }

    /** Holds acknowledgements to the source back (positions are still saved) whenever {@code hold} says so. */
    public void holdAcknowledgements(java.util.function.BooleanSupplier hold) {
        this.holdAcknowledgements = hold;
    }

    /**
     * Brings this runner's sink from its saved feed position up to {@code until} and no further: every event at or
     * before it is written, the first event after it is not. Ends early when the feed has delivered everything
     * committed before it was opened and nothing of that came after {@code until}. Returns whether {@code until} was
     * reached (false when stopped or failed; the reports say why).
     */
    public boolean catchUpTo(Position until, java.util.Comparator<Position> order, List<TableReport> reports) {
        this.until = until;
        this.order = order;
        this.reached = false;
        try {
            reports.addAll(run(Duration.ZERO, null));
            return reached;
        } finally {
            this.until = null;
            this.order = null;
        }
    }

    /**
     * After {@link #catchUpTo} reached its position: the open feed, and the events it polled past that position, for
     * the runner of all sinks to go on with (a replication slot reopened would decode its retained log again); null
     * when there is no open feed. This runner no longer uses or closes it.
     */
    public HandOff handOff() {
        if (stream == null || !reached) {
            return null;
        }
        HandOff h = new HandOff(stream, beyond);
        stream = null;
        beyond = List.of();
        return h;
    }

    /**
     * Goes on with a feed another runner opened at this runner's saved position (see {@link #handOff}) instead of
     * opening one; its events are written first.
     */
    public void adopt(HandOff h) {
        this.adopted = h;
    }

    /** The checkpoint configuration of a feed over these tables: the tables its position covers. */
    public static String feedConfig(List<TableSync> tables) {
        TreeSet<String> ids = new TreeSet<>();
        tables.forEach(t -> ids.add(t.id()));
        return String.join("\n", ids);
    }

    /**
     * Snapshots the tables that need it, then streams until no change arrived for {@code idle} (or until
     * {@code maxTime} passed, or a stop was requested). Returns one report per table.
     */
    public List<TableReport> run(Duration idle, Duration maxTime) {
        long t0 = System.nanoTime();
        List<TableReport> snapshots = new ArrayList<>();
        String error = null;
        ErrorType errorType = null;
        try {
            try {
                if (stream == null) {
                    open(snapshots);
                }
                if (stream != null && snapshots.stream().allMatch(TableReport::succeeded)) {
                    pump(idle, maxTime);
                }
            } catch (FeedLostException lost) {
                if (!ctx.resnapshotWhenFeedLost()) {
                    throw lost;
                }
                // the history behind the saved position is gone: start the feed afresh and snapshot every table
                LOG.warn("pipeline {}: the change feed cannot resume ({}); every table of the feed is snapshotted again",
                        ctx.pipeline(), lost.getMessage());
                closeStream();
                ctx.checkpoints().clear(STREAM_KEY);
                for (TableSync t : tables) {
                    ctx.checkpoints().clear(t.id());
                }
                snapshots.clear();
                open(snapshots);
                if (stream != null && snapshots.stream().allMatch(TableReport::succeeded)) {
                    pump(idle, maxTime);
                }
            }
        } catch (RuntimeException e) {
            error = e.getMessage() == null ? e.toString() : e.getMessage();
            errorType = TableRunner.typeOf(e);
            LOG.error("pipeline {}: change feed failed: {}", ctx.pipeline(), error, e);
            closeStream();
        }
        List<TableReport> out = new ArrayList<>();
        Duration d = Duration.ofNanos(System.nanoTime() - t0);
        for (TableSync t : tables) {
            TableReport snap = snapshots.stream().filter(r -> r.table().equals(t.id())).findFirst().orElse(null);
            TableOutput.Counters c = sinceLastReport(t.id());
            String err = snap != null && !snap.succeeded() ? snap.error() : error;
            ErrorType errType = snap != null && !snap.succeeded() ? snap.errorType() : errorType;
            out.add(new TableReport(t.id(), t.target(), Strategy.CDC, snap != null && snap.snapshot(),
                    c.read + (snap == null ? 0 : snap.rowsRead()), c.upserted + (snap == null ? 0 : snap.upserted()),
                    c.deleted + (snap == null ? 0 : snap.deleted()), c.failed + (snap == null ? 0 : snap.failed()),
                    c.skipped + (snap == null ? 0 : snap.skipped()),
                    retrier.retries() + (snap == null ? 0 : snap.retries()), d, err, errType));
        }
        return out;
    }

    /** The feed's counts of a table since the previous report (the writers keep running totals). */
    private TableOutput.Counters sinceLastReport(String table) {
        TableOutput.Counters now = outputs.containsKey(table) ? outputs.get(table).counters() : new TableOutput.Counters();
        TableOutput.Counters before = reported.computeIfAbsent(table, k -> new TableOutput.Counters());
        TableOutput.Counters d = new TableOutput.Counters();
        d.read = now.read - before.read;
        d.upserted = now.upserted - before.upserted;
        d.deleted = now.deleted - before.deleted;
        d.failed = now.failed - before.failed;
        d.skipped = now.skipped - before.skipped;
        before.read = now.read;
        before.upserted = now.upserted;
        before.deleted = now.deleted;
        before.failed = now.failed;
        before.skipped = now.skipped;
        return d;
    }

    /** The checkpoint configuration of the feed: the tables its position covers. */
    private String feedConfig() {
        return feedConfig(tables);
    }

    private void open(List<TableReport> reports) {
        for (TableOutput o : outputs.values()) {
            o.close();
        }
        outputs.clear();
        reported.clear();
        List<TableSpec> specs = new ArrayList<>();
        tables.forEach(t -> specs.add(t.spec()));
        Checkpoint streamCp = ctx.checkpoints().load(STREAM_KEY).orElse(null);
        Set<String> covered = streamCp == null || streamCp.config() == null ? null
                : new HashSet<>(Arrays.asList(streamCp.config().split("\n")));
        // A table the saved feed position does not cover (new, re-added after a pause, or configured
        // differently before) must be snapshotted again: changes to it may have gone by unapplied.
        boolean anyNew = false;
        for (TableSync t : tables) {
            Checkpoint cp = ctx.checkpoints().load(t.id()).orElse(null);
            // without a feed position, a table checkpoint says nothing about changes since: snapshot again
            boolean covers = streamCp != null && (covered == null || covered.contains(t.id()));
            boolean sameConfig = cp == null || TableRunner.sameConfig(cp.config(), TableRunner.fingerprint(t,
                    retrier.call("describe '" + t.id() + "'", () -> ctx.source().describe(t.spec()))));
            if (cp == null || !covers || !sameConfig) {
                if (cp != null) {
                    LOG.warn("pipeline {}: table '{}' is {}; it is snapshotted again", ctx.pipeline(), t.id(),
                            covers ? "configured differently than at its checkpoint" : streamCp == null
                                    ? "without a change feed position (the feed's checkpoint is missing)"
                                    : "new to the change feed's position");
                    ctx.checkpoints().clear(t.id());
                }
                anyNew = true;
            }
        }
        if (streamCp == null || anyNew) {
            // Run for new tables too, so the feed covers them; an older saved position is kept.
            Position start = retrier.call("prepare change feed", () -> streaming.streamStart(specs));
            streamCp = new Checkpoint(Checkpoint.Phase.CHANGES, null, streamCp == null ? start : streamCp.changesFrom(), 0,
                    feedConfig());
            ctx.checkpoints().save(STREAM_KEY, streamCp);
        }
        List<TableSchema> schemas = new ArrayList<>();
        for (int i = 0; i < tables.size(); i++) {
            TableSync t = tables.get(i);
            if (ctx.stopRequested().get()) {
                return;
            }
            TableRunner runner = new TableRunner(ctx, t);
            TableReport r = runner.run();
            reports.add(r);
            if (!r.succeeded()) {
                for (TableSync rest : tables.subList(i + 1, tables.size())) {
                    reports.add(new TableReport(rest.id(), rest.target(), Strategy.CDC, false, 0, 0, 0, 0, 0, 0, Duration.ZERO,
                            "not run: table '" + t.id() + "' of the same change feed failed first", r.errorType()));
                }
                return;
            }
            schemas.add(runner.sourceSchema());
        }
        for (int i = 0; i < tables.size(); i++) {
            TableSync t = tables.get(i);
            TableSchema target = schemas.get(i).withName(t.target());
            outputs.put(t.id(), new TableOutput(ctx, t.id(), target, retrier));
        }
        position = streamCp.changesFrom();
        Position from = position;
        if (adopted != null) {
            stream = adopted.stream();
            pending = adopted.events();
            adopted = null;
            LOG.info("pipeline {}: change feed goes on at {}", ctx.pipeline(), from);
            return;
        }
        stream = retrier.call("open change feed", () -> streaming.openStream(schemas, specs, from));
        LOG.info("pipeline {}: change feed open at {}", ctx.pipeline(), from);
    }

    private void pump(Duration idle, Duration maxTime) {
        long deadline = maxTime == null ? Long.MAX_VALUE : System.nanoTime() + maxTime.toNanos();
        long lastEvent = System.nanoTime();
        long catchUpDeadline = 0;
        long caughtUpAt = 0;
        long lastIdleSave = System.nanoTime();
        int failures = 0;
        long quietSince = 0;
        if (!pending.isEmpty()) {
            List<ChangeEvent> first = pending;
            pending = List.of();
            apply(first);
        }
        while (!ctx.stopRequested().get() && System.nanoTime() < deadline) {
            acknowledgeHeld();
            List<ChangeEvent> events;
            try {
                events = stream.poll(Duration.ofMillis(idle == null || until != null ? 500 : Math.min(500, Math.max(10, idle.toMillis()))));
                failures = 0;
            } catch (RetriableException e) {
                failures++;
                if (failures >= ctx.retryPolicy().maxAttempts()) {
                    throw e;
                }
                long wait = ctx.retryPolicy().backoff(failures).toMillis();
                LOG.warn("pipeline {}: change feed broke, reopening from {} in {} ms: {}", ctx.pipeline(), position, wait,
                        e.getMessage());
                sleep(wait);
                reopen();
                continue;
            }
            if (System.nanoTime() - lastStatus >= STATUS_NANOS) {
                feedStatus(false);
            }
            if (until != null) {
                if (events.isEmpty()) {
                    if (quietSince == 0) {
                        quietSince = System.nanoTime();
                    } else if (System.nanoTime() - quietSince > ctx.catchUpTimeout().toNanos() && !stream.caughtUp()) {
                        throw new SyncException(ErrorType.EXTERNAL, "pipeline " + ctx.pipeline() + ": bringing a sink up to the"
                                + " others, the change feed stayed quiet for stream.catchup.timeout (" + ctx.catchUpTimeout()
                                + ") at " + position + " without reaching " + until + " or the end of what was committed");
                    }
                } else {
                    quietSince = 0;
                }
                int n = 0;
                while (n < events.size() && order.compare(events.get(n).position(), until) <= 0) {
                    n++;
                }
                if (n > 0) {
                    apply(events.subList(0, n));
                }
                if (n < events.size() || events.isEmpty() && stream.caughtUp()) {
                    beyond = new ArrayList<>(events.subList(n, events.size()));
                    reached = true;
                    return;
                }
                continue;
            }
            if (events.isEmpty()) {
                long now = System.nanoTime();
                if (now - lastIdleSave >= IDLE_SAVE_NANOS) {
                    lastIdleSave = now;
                    Position idlePos = stream.idlePosition();
                    if (idlePos != null && !idlePos.equals(position)) {
                        // a quiet feed still moves on (a resume token, a processed log position): keep it
                        ctx.checkpoints().save(STREAM_KEY, new Checkpoint(Checkpoint.Phase.CHANGES, null, idlePos, 0, feedConfig()));
                        acknowledge(idlePos);
                        position = idlePos;
                    }
                }
                if (idle != null && now - lastEvent >= idle.toNanos()) {
                    if (stream.caughtUp()) {
                        return;
                    }
                    if (catchUpDeadline == 0) {
                        catchUpDeadline = now + ctx.catchUpTimeout().toNanos();
                        LOG.info("pipeline {}: the change feed is quiet but has not yet delivered everything committed before"
                                + " the run started; going on for up to {}", ctx.pipeline(), ctx.catchUpTimeout());
                    } else if (now - catchUpDeadline >= 0) {
                        throw new SyncException(ErrorType.EXTERNAL, "pipeline " + ctx.pipeline() + ": the change feed did not"
                                + " deliver everything committed before the run started within stream.catchup.timeout ("
                                + ctx.catchUpTimeout() + "); it got to " + position + ". The source is far behind (e.g. a"
                                + " replication slot with much unrelated WAL to decode); run again or raise the timeout");
                    }
                }
                continue;
            }
            lastEvent = System.nanoTime();
            apply(events);
            if (idle != null) {
                // A run that brings the targets up to its start (runOnce) ends once everything committed before it
                // started is applied, plus at most stream.idle: under steady writes the feed is never quiet, and
                // waiting for a pause would never end. Later changes are left for the next run.
                if (caughtUpAt == 0 && stream.caughtUp()) {
                    caughtUpAt = lastEvent;
                }
                if (caughtUpAt != 0 && lastEvent - caughtUpAt >= idle.toNanos()) {
                    LOG.info("pipeline {}: everything committed before the run started is applied and changes keep coming;"
                            + " the rest is left for the next run", ctx.pipeline());
                    return;
                }
            }
        }
    }

    /**
     * Writes one poll: each table's events in order through its writer (a TRUNCATE empties the target between
     * the changes before and after it), then flushes exactly the writers written to, then saves the feed's
     * position and acknowledges it to the source.
     */
    private void apply(List<ChangeEvent> events) {
        Map<String, List<ChangeEvent>> byTable = new LinkedHashMap<>();
        for (ChangeEvent e : events) {
            if (outputs.containsKey(e.table())) {
                byTable.computeIfAbsent(e.table(), k -> new ArrayList<>()).add(e);
            }
        }
        for (Map.Entry<String, List<ChangeEvent>> en : byTable.entrySet()) {
            write(en.getKey(), outputs.get(en.getKey()), en.getValue());
        }
        for (String table : byTable.keySet()) {
            outputs.get(table).flush();
        }
        position = events.get(events.size() - 1).position();
        ctx.checkpoints().save(STREAM_KEY, new Checkpoint(Checkpoint.Phase.CHANGES, null, position, 0, feedConfig()));
        acknowledge(position);
    }

    private void write(String table, TableOutput output, List<ChangeEvent> events) {
        output.counters().read += events.size();
        int start = 0;
        for (int i = 0; i <= events.size(); i++) {
            boolean truncate = i < events.size() && events.get(i).operation() == Operation.TRUNCATE;
            if (i == events.size() || truncate) {
                for (List<ChangeEvent> b : TableOutput.split(events.subList(start, i), ctx.batchRows(), ctx.batchBytes())) {
                    output.write(b, null);
                }
                if (truncate) {
                    if (!ctx.sink().capabilities().contains(SinkCapability.TRUNCATE)) {
                        throw new SyncException(ErrorType.CONFIG, "pipeline " + ctx.pipeline() + ", table '" + table
                                + "': the change feed reports a TRUNCATE but the sink cannot truncate '"
                                + output.schema().name() + "'");
                    }
                    output.truncate();
                }
                start = i + 1;
            }
        }
    }

    /**
     * Asks the source what the feed retains and how far behind it is, tells the listener and warns (once per crossing)
     * when it retains more than feed.warn.retained; null when the source cannot say. Never throws.
     */
    public dev.dbsync.engine.SyncReport.FeedReport feedStatus(boolean endOfRun) {
        lastStatus = System.nanoTime();
        dev.dbsync.spi.FeedStatus status;
        try {
            status = streaming.feedStatus().orElse(null);
        } catch (RuntimeException e) {
            LOG.warn("pipeline {}: the change feed's status could not be read: {}", ctx.pipeline(), e.toString());
            return null;
        }
        if (status == null) {
            return null;
        }
        boolean above = ctx.feedWarnBytes() > 0 && status.retainedBytes() > ctx.feedWarnBytes();
        if (above && !warned) {
            LOG.warn("pipeline {}: the change feed {}, more than feed.warn.retained ({}): the source keeps its log until the"
                    + " pipeline reads it; a pipeline given up must be dropped (dbsync drop)", ctx.pipeline(), status,
                    dev.dbsync.spi.FeedStatus.bytes(ctx.feedWarnBytes()));
        } else if (endOfRun || LOG.isDebugEnabled()) {
            LOG.info("pipeline {}: change feed {}", ctx.pipeline(), status);
        }
        warned = above;
        try {
            ctx.listener().onFeedStatus(ctx.pipeline(), status, above);
        } catch (RuntimeException e) {
            LOG.warn("pipeline {}: listener failed: {}", ctx.pipeline(), e.toString());
        }
        return new dev.dbsync.engine.SyncReport.FeedReport(status, above);
    }

    private void reopen() {
        closeStream();
        List<TableSchema> schemas = new ArrayList<>();
        List<TableSpec> specs = new ArrayList<>();
        for (TableSync t : tables) {
            schemas.add(retrier.call("describe '" + t.id() + "'", () -> ctx.source().describe(t.spec())));
            specs.add(t.spec());
        }
        Position from = position;
        stream = retrier.call("reopen change feed", () -> streaming.openStream(schemas, specs, from));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SyncException(ErrorType.INTERNAL, "interrupted while waiting to reopen the change feed", e);
        }
    }

    private void closeStream() {
        unacknowledged = null;
        if (stream != null) {
            try {
                stream.close();
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: closing change feed: {}", ctx.pipeline(), e.toString());
            }
            stream = null;
        }
    }

    @Override
    public void close() {
        closeStream();
        if (adopted != null) {
            try {
                adopted.stream().close();
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: closing change feed: {}", ctx.pipeline(), e.toString());
            }
            adopted = null;
        }
        pending = List.of();
        for (TableOutput o : outputs.values()) {
            o.close();
        }
        outputs.clear();
        reported.clear();
    }
}
