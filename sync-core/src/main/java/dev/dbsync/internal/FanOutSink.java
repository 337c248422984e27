package dev.dbsync.internal;

import dev.dbsync.engine.SinkLagPolicy;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several sinks fed by one read: the engine sees one sink, and every batch, flush, truncate and replacement goes
 * to each <em>attached</em> member in turn. The engine saves a checkpoint only after this sink's flush returned,
 * that is after every attached member flushed, so the pipeline's positions (and the replication slot's
 * acknowledgement) are the minimum over the members by construction.
 *
 * <p>A member that fails is retried here, with backoff, for up to {@code maxLag} while the others wait (writes
 * are idempotent, so the members that succeeded lose nothing by being written again). Past it the
 * {@link SinkLagPolicy} decides: {@code PAUSE} fails the write, so nothing is checkpointed or acknowledged and the
 * pipeline retries later; {@code DETACH} takes the member out (recorded through {@link Membership} before any
 * later checkpoint is saved) and the others go on; a detached member is snapshotted again by the engine before it
 * rejoins. A {@link DataException} from a member is passed on: the engine isolates the bad rows, writing the
 * others again, and dead-letters them with a reason that names the member.
 */
public final class FanOutSink implements Sink {

    private static final Logger LOG = LoggerFactory.getLogger(FanOutSink.class);

    /**
     * One named member; {@code targets} renames target tables for it (pipeline target name → its own); {@code
     * deadLetters}, when not null, receives the rows it refuses instead of the pipeline's handler.
     */
    public record Member(String name, Sink sink, Map<String, String> targets, dev.dbsync.engine.DeadLetterHandler deadLetters) {
        public Member {
            targets = Map.copyOf(targets);
        }

        public Member(String name, Sink sink, Map<String, String> targets) {
            this(name, sink, targets, null);
        }

        String target(String name) {
            return targets.getOrDefault(name, name);
        }
    }

    /** Records that a member left the attached set, before any later checkpoint is saved. */
    public interface Membership {
        void detached(String member, String reason);
    }

    /** What a member did since the counters were last taken. */
    public static final class Counts {
        public long upserted;
        public long deleted;
        public long skipped;
        public long failed;
    }

    private final String pipeline;
    private final List<Member> members;
    private final SinkLagPolicy policy;
    private final Duration maxLag;
    private final BooleanSupplier stopping;
    /**
     * Whether the engine flushes after every batch: then each member flushes right after its own write, on its own
     * thread, so one member's write overlaps another's flush (a sink that works at write and one that works at flush
     * would otherwise take the sum of both per batch).
     */
    private final boolean eagerFlush;
    private volatile Membership membership = (m, r) -> { };
    private final Set<String> attached = ConcurrentHashMap.newKeySet();
    private final Map<String, String> detachReasons = new ConcurrentHashMap<>();
    private final Map<String, Counts> counts = new ConcurrentHashMap<>();
    /** Calls of detached members still running (they were not waited for), per member. */
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> running = new ConcurrentHashMap<>();
    /** Writes to the members after the first at the same time as to the first; each writer still sees one thread. */
    private final java.util.concurrent.ExecutorService parallel = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dbsync-fanout");
        t.setDaemon(true);
        return t;
    });

    public FanOutSink(String pipeline, List<Member> members, SinkLagPolicy policy, Duration maxLag, BooleanSupplier stopping) {
        this(pipeline, members, policy, maxLag, stopping, false);
    }

    /** @param eagerFlush whether the engine flushes after every batch (each member then flushes after its own write) */
    public FanOutSink(String pipeline, List<Member> members, SinkLagPolicy policy, Duration maxLag, BooleanSupplier stopping,
                      boolean eagerFlush) {
        this.eagerFlush = eagerFlush;
        this.pipeline = pipeline;
        this.members = List.copyOf(members);
        this.policy = policy;
        this.maxLag = maxLag;
        this.stopping = stopping;
        for (Member m : members) {
            attached.add(m.name());
            counts.put(m.name(), new Counts());
            running.put(m.name(), new java.util.concurrent.atomic.AtomicInteger());
        }
    }

    public List<Member> members() {
        return members;
    }

    public Member member(String name) {
        return members.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no sink '" + name + "' in pipeline " + pipeline));
    }

    public void membership(Membership m) {
        this.membership = m;
    }

    /** Sets the attached members (the others are not written to until attached). */
    public void attachOnly(Set<String> names) {
        attached.clear();
        attached.addAll(names);
    }

    public void attach(String name) {
        attached.add(name);
        detachReasons.remove(name);
    }

    public boolean isAttached(String name) {
        return attached.contains(name);
    }

    /**
     * Whether a call of this member that was not waited for (it was detached for being slow) is still running: its
     * snapshot on its own must not begin before it ends, or that late write could land after the snapshot's.
     */
    public boolean busy(String name) {
        java.util.concurrent.atomic.AtomicInteger n = running.get(name);
        return n != null && n.get() > 0;
    }

    /** Why a member was detached since this was last asked (once per run report); null when it was not. */
    public String takeDetachReason(String name) {
        return detachReasons.remove(name);
    }

    /** The member's counts since the last call, and resets them. */
    public Counts takeCounts(String name) {
        Counts c = counts.get(name);
        synchronized (c) {
            Counts out = new Counts();
            out.upserted = c.upserted;
            out.deleted = c.deleted;
            out.skipped = c.skipped;
            out.failed = c.failed;
            c.upserted = c.deleted = c.skipped = c.failed = 0;
            return out;
        }
    }

    @Override
    public Set<SinkCapability> capabilities() {
        Set<SinkCapability> any = EnumSet.noneOf(SinkCapability.class);
        Set<SinkCapability> all = EnumSet.allOf(SinkCapability.class);
        for (Member m : members) {
            any.addAll(m.sink().capabilities());
            all.retainAll(m.sink().capabilities());
        }
        Set<SinkCapability> out = EnumSet.noneOf(SinkCapability.class);
        // deletes, versions and replacement are applied by the members that have them (the others act as alone)
        for (SinkCapability c : List.of(SinkCapability.DELETE, SinkCapability.VERSIONED, SinkCapability.REPLACE, SinkCapability.TRUNCATE)) {
            if (any.contains(c)) {
                out.add(c);
            }
        }
        if (any.contains(SinkCapability.TRUNCATE)) {
            // a fresh snapshot always goes through beginReplacement, which each member does its own way (replace,
            // truncate, or nothing for a sink that can do neither, as it would alone); truncate() is then left to the
            // feed's TRUNCATE events, which a member that cannot truncate must refuse
            out.add(SinkCapability.REPLACE);
        }
        for (SinkCapability c : List.of(SinkCapability.AUTO_CREATE, SinkCapability.TRANSACTIONS)) {
            if (all.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    /** Every type some member writes natively; each member's writer converts the rest to their fallbacks itself. */
    @Override
    public Set<LogicalType> supportedTypes() {
        Set<LogicalType> out = EnumSet.noneOf(LogicalType.class);
        for (Member m : members) {
            out.addAll(m.sink().supportedTypes());
        }
        return out;
    }

    @Override
    public TableWriter open(TableSchema schema) {
        Map<String, MemberWriter> writers = new LinkedHashMap<>();
        for (Member m : members) {
            if (!attached.contains(m.name())) {
                continue;
            }
            MemberWriter w = guarded(m, "open target '" + m.target(schema.name()) + "'", () -> new MemberWriter(m, schema));
            if (w != null) {
                writers.put(m.name(), w);
            }
        }
        return new Writer(schema.name(), writers);
    }

    /**
     * Runs {@code call} for every member's writer at the same time, each on its own thread, and waits for all; the first
     * exception (in member order) is thrown once all have ended. Under {@code DETACH}, a member whose call is still
     * running {@code maxLag} after the start while another's has returned is holding that one back: it is detached
     * (not waited for any longer; its writer is closed once the call returns).
     */
    private void forEach(List<MemberWriter> writers, java.util.function.Consumer<MemberWriter> call) {
        if (writers.size() <= 1) {
            writers.forEach(call);
            return;
        }
        List<java.util.concurrent.CompletableFuture<Void>> calls = new ArrayList<>();
        for (MemberWriter w : writers) {
            calls.add(java.util.concurrent.CompletableFuture.runAsync(() -> call.accept(w), parallel));
        }
        long deadline = System.nanoTime() + maxLag.toNanos();
        RuntimeException first = null;
        boolean interrupted = false;
        for (int i = 0; i < writers.size(); i++) {
            java.util.concurrent.CompletableFuture<Void> f = calls.get(i);
            while (true) {
                try {
                    if (policy == SinkLagPolicy.DETACH) {
                        f.get(Math.max(1, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                    } else {
                        f.get();
                    }
                    break;
                } catch (java.util.concurrent.TimeoutException e) {
                    if (calls.stream().anyMatch(java.util.concurrent.CompletableFuture::isDone) && !stopping.getAsBoolean()) {
                        MemberWriter slow = writers.get(i);
                        slow.abandoned = f;
                        java.util.concurrent.atomic.AtomicInteger n = running.get(slow.member.name());
                        n.incrementAndGet();
                        f.whenComplete((v, x) -> n.decrementAndGet());
                        detach(slow.member.name(), "sink '" + slow.member.name() + "': a call on '" + slow.table()
                                + "' took longer than sink.max.lag (" + maxLag + ") while the other sinks waited");
                        break;
                    }
                    deadline = System.nanoTime() + maxLag.toNanos(); // every sink is slow: none holds the others back
                } catch (InterruptedException e) {
                    interrupted = true; // the member's call must end before its writer is used again
                } catch (java.util.concurrent.ExecutionException e) {
                    if (first == null) {
                        first = e.getCause() instanceof RuntimeException r ? r
                                : new SyncException(ErrorType.INTERNAL, "pipeline " + pipeline + ": " + e.getCause(), e.getCause());
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void close() {
        parallel.shutdownNow();
        for (Member m : members) {
            try {
                m.sink().close();
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: closing sink '{}': {}", pipeline, m.name(), e.toString());
            }
        }
    }

    /**
     * Runs one call on a member: retried with backoff for up to maxLag on transient failures; then, or on any other
     * failure but bad records and a lost lease, the policy. Returns null when the member was detached.
     */
    private <T> T guarded(Member m, String what, Supplier<T> call) {
        long start = System.nanoTime();
        int attempt = 0;
        while (true) {
            try {
                return call.get();
            } catch (DataException | LeaseException e) {
                throw e;
            } catch (RuntimeException e) {
                boolean transientFailure = e instanceof RetriableException;
                long waited = System.nanoTime() - start;
                if (transientFailure && waited < maxLag.toNanos() && !stopping.getAsBoolean()) {
                    attempt++;
                    long backoff = Math.min(5_000L, 100L << Math.min(attempt, 6));
                    LOG.warn("pipeline {}, sink '{}': {} failed, retrying in {} ms (others wait up to {}): {}",
                            pipeline, m.name(), what, backoff, maxLag, e.getMessage());
                    sleep(backoff);
                    continue;
                }
                String reason = "sink '" + m.name() + "': " + what + " failed"
                        + (transientFailure ? " for " + Duration.ofNanos(waited).toSeconds() + " s" : "") + ": " + e.getMessage();
                if (policy == SinkLagPolicy.PAUSE) {
                    if (e instanceof SyncException s) {
                        throw new SyncException(s.type(), "pipeline " + pipeline + ", " + reason
                                + " (sink.lag.policy pause: the pipeline waits for it)", e);
                    }
                    throw e;
                }
                detach(m.name(), reason);
                return null;
            }
        }
    }

    /**
     * A row a member refused goes to its own dead-letter handler, counted as the member's failure; the other members
     * keep it. A handler that throws (its limit reached, or fail-fast) stops the table, as the pipeline's would.
     */
    private void ownDeadLetter(Member m, ChangeEvent event, String reason, Throwable cause) {
        Counts c = counts.get(m.name());
        synchronized (c) {
            c.failed++;
        }
        m.deadLetters().handle(new dev.dbsync.engine.DeadLetter(pipeline, event.table(), event,
                "sink '" + m.name() + "': " + reason, cause));
    }

    private void guardedRun(Member m, String what, Runnable call) {
        guarded(m, what, () -> {
            call.run();
            return Boolean.TRUE;
        });
    }

    private void detach(String name, String reason) {
        if (!attached.remove(name)) {
            return;
        }
        detachReasons.put(name, reason);
        LOG.error("pipeline {}: {}; the sink is detached (sink.lag.policy detach): the other sinks go on, and it is"
                + " snapshotted again before it rejoins", pipeline, reason);
        membership.detached(name, reason);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SyncException(ErrorType.INTERNAL, "interrupted while retrying a sink", e);
        }
    }

    /** A member's writer of one table: its own name for the table and its own type conversion. */
    private final class MemberWriter {
        final Member member;
        final TypeFallbacks types;
        final TableWriter writer;
        final boolean replaces;
        final boolean truncates;
        boolean replacing;
        long pendingUpserted;
        long pendingDeleted;
        long pendingSkipped;
        /** Flushed right after its last write (eager flush): the next flush has nothing to send. */
        boolean flushed;
        /** A call still running when the member was detached for it; the writer is closed once it returns. */
        volatile java.util.concurrent.CompletableFuture<Void> abandoned;

        MemberWriter(Member member, TableSchema schema) {
            this.member = member;
            this.types = new TypeFallbacks(schema.withName(member.target(schema.name())), member.sink().supportedTypes());
            this.writer = member.sink().open(types.schema());
            if (writer == null) {
                throw new IllegalStateException(member.sink().getClass().getName() + ".open returned no writer");
            }
            this.replaces = member.sink().capabilities().contains(SinkCapability.REPLACE);
            this.truncates = member.sink().capabilities().contains(SinkCapability.TRUNCATE);
        }

        String table() {
            return types.schema().name();
        }
    }

    private final class Writer implements TableWriter {
        private final String table;
        private final Map<String, MemberWriter> writers;

        Writer(String table, Map<String, MemberWriter> writers) {
            this.table = table;
            this.writers = writers;
        }

        /** The members still attached, in order. */
        private List<MemberWriter> live() {
            List<MemberWriter> out = new ArrayList<>();
            for (MemberWriter w : writers.values()) {
                if (attached.contains(w.member.name())) {
                    out.add(w);
                }
            }
            return out;
        }

        @Override
        public WriteResult write(Batch batch) {
            List<ChangeEvent> in = batch.events();
            List<MemberWriter> live = live();
            Map<MemberWriter, Object> outcome = new ConcurrentHashMap<>();
            boolean eager = eagerFlush && live.size() > 1;
            forEach(live, w -> {
                w.flushed = false;
                List<ChangeEvent> converted = w.types.convert(in);
                try {
                    WriteResult r = guarded(w.member, "write to '" + w.table() + "'", () -> w.writer.write(
                            Batch.of(batch.pipeline().orElse(pipeline), w.types.schema(), converted, null)));
                    if (r != null) {
                        outcome.put(w, new Object[] {r, converted});
                        if (eager && attached.contains(w.member.name())) {
                            // a writer may send its buffer whenever it likes; a refusal here surfaces as the batch's
                            guardedRun(w.member, "flush '" + w.table() + "'", w.writer::flush);
                            w.flushed = true;
                        }
                    }
                } catch (DataException e) {
                    outcome.put(w, e);
                }
            });
            WriteResult first = null;
            Map<ChangeEvent, String> failed = new IdentityHashMap<>();
            Map<ChangeEvent, Throwable> causes = new IdentityHashMap<>();
            DataException refused = null;
            for (MemberWriter w : live) {
                if (!attached.contains(w.member.name())) {
                    continue; // detached during this call
                }
                Object o = outcome.get(w);
                if (o instanceof DataException e) {
                    if (in.size() == 1 && w.member.deadLetters() != null) {
                        // the engine's isolation has found the row: it goes to this sink's own handler
                        ownDeadLetter(w.member, in.get(0), e.getMessage(), e);
                        continue;
                    }
                    if (refused == null) {
                        refused = new DataException("sink '" + w.member.name() + "': " + e.getMessage(), e);
                    }
                    if (in.size() == 1) {
                        // a single event refused: the engine's isolation has found the row and dead-letters it
                        Counts c = counts.get(w.member.name());
                        synchronized (c) {
                            c.failed++;
                        }
                    }
                    continue;
                }
                if (o == null) {
                    continue; // detached
                }
                WriteResult r = (WriteResult) ((Object[]) o)[0];
                @SuppressWarnings("unchecked")
                List<ChangeEvent> converted = (List<ChangeEvent>) ((Object[]) o)[1];
                Map<ChangeEvent, ChangeEvent> back = new IdentityHashMap<>();
                if (!r.failed().isEmpty() && converted != in) {
                    // only for refused rows: which original each converted event stands for
                    for (int i = 0; i < converted.size(); i++) {
                        back.put(converted.get(i), in.get(i));
                    }
                }
                w.pendingUpserted += r.upserted();
                w.pendingDeleted += r.deleted();
                w.pendingSkipped += r.skipped();
                if (first == null) {
                    first = r;
                }
                for (WriteResult.FailedEvent f : r.failed()) {
                    ChangeEvent original = back.getOrDefault(f.event(), f.event());
                    if (w.member.deadLetters() != null) {
                        ownDeadLetter(w.member, original, f.reason(), f.cause());
                        continue;
                    }
                    String reason = "sink '" + w.member.name() + "': " + f.reason();
                    failed.merge(original, reason, (a, b) -> a + "; " + b);
                    causes.putIfAbsent(original, f.cause());
                    Counts c = counts.get(w.member.name());
                    synchronized (c) {
                        c.failed++;
                    }
                }
            }
            if (refused != null) {
                throw refused;
            }
            List<WriteResult.FailedEvent> out = new ArrayList<>();
            for (ChangeEvent e : in) {
                String reason = failed.get(e);
                if (reason != null) {
                    out.add(new WriteResult.FailedEvent(e, reason, causes.get(e)));
                }
            }
            if (first == null) {
                return WriteResult.of(0, 0, 0, out);
            }
            return WriteResult.of(first.upserted(), first.deleted(), first.skipped(), out);
        }

        @Override
        public void flush() {
            List<MemberWriter> live = live();
            Map<MemberWriter, DataException> refusedBy = new ConcurrentHashMap<>();
            forEach(live, w -> {
                if (w.flushed) {
                    w.flushed = false; // flushed right after its last write
                    return;
                }
                try {
                    guardedRun(w.member, "flush '" + w.table() + "'", w.writer::flush);
                } catch (DataException e) {
                    refusedBy.put(w, e);
                }
            });
            DataException refused = null;
            for (MemberWriter w : live) {
                if (!attached.contains(w.member.name())) {
                    w.pendingUpserted = w.pendingDeleted = w.pendingSkipped = 0;
                    continue; // detached during this flush
                }
                DataException e = refusedBy.get(w);
                if (e != null) {
                    if (refused == null) {
                        refused = new DataException("sink '" + w.member.name() + "': " + e.getMessage(), e);
                    }
                } else if (attached.contains(w.member.name())) {
                    Counts c = counts.get(w.member.name());
                    synchronized (c) {
                        c.upserted += w.pendingUpserted;
                        c.deleted += w.pendingDeleted;
                        c.skipped += w.pendingSkipped;
                    }
                }
                w.pendingUpserted = w.pendingDeleted = w.pendingSkipped = 0;
            }
            if (refused != null) {
                throw refused;
            }
        }

        @Override
        public void truncate() {
            for (MemberWriter w : live()) {
                guardedRun(w.member, "truncate '" + w.table() + "'", () -> {
                    if (!w.truncates) {
                        throw new SyncException(ErrorType.CONFIG, "the sink cannot truncate '" + w.table()
                                + "' but the source emptied the table");
                    }
                    w.writer.truncate();
                });
            }
        }

        @Override
        public void beginReplacement() {
            for (MemberWriter w : live()) {
                if (w.replaces) {
                    guardedRun(w.member, "begin a replacement of '" + w.table() + "'", w.writer::beginReplacement);
                    w.replacing = true;
                } else if (w.truncates) {
                    guardedRun(w.member, "truncate '" + w.table() + "'", w.writer::truncate);
                }
            }
        }

        @Override
        public boolean resumeReplacement() {
            boolean any = false;
            boolean others = false;
            for (MemberWriter w : live()) {
                if (w.replaces) {
                    Boolean r = guarded(w.member, "resume the replacement of '" + w.table() + "'", w.writer::resumeReplacement);
                    w.replacing = Boolean.TRUE.equals(r);
                    any |= w.replacing;
                } else {
                    others = true;
                }
            }
            return any || others;
        }

        @Override
        public void commitReplacement() {
            for (MemberWriter w : live()) {
                if (w.replacing) {
                    guardedRun(w.member, "swap in the replacement of '" + w.table() + "'", w.writer::commitReplacement);
                    w.replacing = false;
                } else {
                    guardedRun(w.member, "flush '" + w.table() + "'", w.writer::flush);
                }
            }
        }

        @Override
        public void close() {
            for (MemberWriter w : writers.values()) {
                Runnable close = () -> {
                    try {
                        w.writer.close();
                    } catch (RuntimeException e) {
                        LOG.warn("pipeline {}: closing sink '{}' writer of '{}': {}", pipeline, w.member.name(), w.table(), e.toString());
                    }
                };
                java.util.concurrent.CompletableFuture<Void> running = w.abandoned;
                if (running != null && !running.isDone()) {
                    running.whenComplete((v, e) -> close.run()); // one thread at a time on a writer
                } else {
                    close.run();
                }
            }
        }

        @Override
        public String toString() {
            return "fan-out writer of '" + table + "' to " + new HashSet<>(writers.keySet());
        }
    }
}
