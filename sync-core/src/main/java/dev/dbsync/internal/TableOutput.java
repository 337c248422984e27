package dev.dbsync.internal;

import dev.dbsync.engine.DeadLetter;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one write path of the engine, for one target table: table runs and change feeds both write through it.
 * It owns the table's {@link TableWriter}, converts types the sink does not support, counts what was applied
 * only once it is flushed, and isolates bad records: when the writer refuses something (at write, or at a
 * flush that discards its buffer), everything since the last flush is written again in halves, each flushed,
 * until the bad records are found and handed to the dead-letter handler. Halves keep their order, so the last
 * change of a key wins. Used by one thread at a time.
 */
final class TableOutput implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TableOutput.class);

    /** What was read and written for a table; only flushed writes count as applied. */
    static final class Counters {
        long read;
        long upserted;
        long deleted;
        long skipped;
        long failed;
    }

    private final EngineContext ctx;
    private final String sourceTable;
    private final Retrier retrier;
    private final TypeFallbacks types;
    private final TableWriter writer;
    private final Counters counters = new Counters();
    /** Events written since the last successful flush, and those of them the sink rejected row by row. */
    private final List<ChangeEvent> sinceFlush = new ArrayList<>();
    private final Set<ChangeEvent> rejected = Collections.newSetFromMap(new IdentityHashMap<>());
    private long pendingUpserted;
    private long pendingDeleted;
    private long pendingSkipped;
    private boolean closed;

    /** Opens the target table (retried on transient errors). */
    TableOutput(EngineContext ctx, String sourceTable, TableSchema target, Retrier retrier) {
        this.ctx = ctx;
        this.sourceTable = sourceTable;
        this.retrier = retrier;
        this.types = new TypeFallbacks(target, ctx.sink().supportedTypes());
        this.writer = retrier.call("open target '" + target.name() + "'", () -> ctx.sink().open(types.schema()));
        if (writer == null) {
            throw new IllegalStateException(ctx.sink().getClass().getName() + ".open returned no writer for '" + target.name() + "'");
        }
    }

    Counters counters() {
        return counters;
    }

    /** The schema the sink was opened with (after type fallbacks). */
    TableSchema schema() {
        return types.schema();
    }

    boolean hasUnflushed() {
        return !sinceFlush.isEmpty();
    }

    /** Writes one batch (no TRUNCATE inside), with the checkpoint a sink keeping checkpoints may store along. */
    void write(List<ChangeEvent> events, CheckpointUpdate checkpoint) {
        if (events.isEmpty()) {
            return;
        }
        List<ChangeEvent> converted = types.convert(events);
        WriteResult r;
        try {
            r = retrier.call("write " + events.size() + " events to '" + types.schema().name() + "'",
                    () -> writer.write(Batch.of(ctx.pipeline(), types.schema(), converted, checkpoint)));
        } catch (DataException e) {
            List<ChangeEvent> again = retryable(converted);
            forgetUnflushed();
            isolate(again);
            return;
        }
        sinceFlush.addAll(converted);
        pendingUpserted += r.upserted();
        pendingDeleted += r.deleted();
        pendingSkipped += r.skipped();
        for (WriteResult.FailedEvent f : r.failed()) {
            rejected.add(f.event());
            deadLetter(f.event(), f.reason(), f.cause());
        }
    }

    /** Flushes the writer; what it refuses is isolated among the events written since the last flush. */
    void flush() {
        try {
            retrier.run("flush '" + types.schema().name() + "'", writer::flush);
        } catch (DataException e) {
            List<ChangeEvent> again = retryable(List.of());
            forgetUnflushed();
            isolate(again);
            return;
        }
        counters.upserted += pendingUpserted;
        counters.deleted += pendingDeleted;
        counters.skipped += pendingSkipped;
        forgetUnflushed();
    }

    /** Flushes what was written before, then empties the target table. */
    void truncate() {
        flush();
        retrier.run("truncate '" + types.schema().name() + "'", writer::truncate);
    }

    /** Starts loading a replacement of the target (the sink offers REPLACE). */
    void beginReplacement() {
        flush();
        retrier.run("begin a replacement of '" + types.schema().name() + "'", writer::beginReplacement);
    }

    /** Continues a replacement; false when it was swapped in already. */
    boolean resumeReplacement() {
        return retrier.call("resume the replacement of '" + types.schema().name() + "'", writer::resumeReplacement);
    }

    /** Flushes, then swaps the replacement in. */
    void commitReplacement() {
        flush();
        retrier.run("swap in the replacement of '" + types.schema().name() + "'", writer::commitReplacement);
    }

    private void forgetUnflushed() {
        sinceFlush.clear();
        rejected.clear();
        pendingUpserted = 0;
        pendingDeleted = 0;
        pendingSkipped = 0;
    }

    /** Everything since the last flush except rows already dead-lettered, then {@code more}. */
    private List<ChangeEvent> retryable(List<ChangeEvent> more) {
        List<ChangeEvent> todo = new ArrayList<>(sinceFlush.size() + more.size());
        for (ChangeEvent e : sinceFlush) {
            if (!rejected.contains(e)) {
                todo.add(e);
            }
        }
        todo.addAll(more);
        return todo;
    }

    private void isolate(List<ChangeEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        WriteResult r;
        try {
            r = retrier.call("write " + events.size() + " events to '" + types.schema().name() + "'",
                    () -> writer.write(Batch.of(ctx.pipeline(), types.schema(), events, null)));
            retrier.run("flush '" + types.schema().name() + "'", writer::flush);
        } catch (DataException e) {
            if (events.size() == 1) {
                deadLetter(events.get(0), e.getMessage(), e);
                return;
            }
            int mid = events.size() / 2;
            isolate(events.subList(0, mid));
            isolate(events.subList(mid, events.size()));
            return;
        }
        counters.upserted += r.upserted();
        counters.deleted += r.deleted();
        counters.skipped += r.skipped();
        for (WriteResult.FailedEvent f : r.failed()) {
            deadLetter(f.event(), f.reason(), f.cause());
        }
    }

    /** A row the source could read only in part: dead-lettered and counted like a row the sink refused. */
    void unreadable(WriteResult.FailedEvent f) {
        deadLetter(f.event(), f.reason(), f.cause());
    }

    private void deadLetter(ChangeEvent e, String reason, Throwable cause) {
        counters.failed++;
        ctx.deadLetters().handle(new DeadLetter(ctx.pipeline(), sourceTable, e, reason, cause));
    }

    /** Splits events into batches of at most {@code rows} events and about {@code bytes} estimated bytes. */
    static List<List<ChangeEvent>> split(List<ChangeEvent> events, int rows, long bytes) {
        if (events.size() > 256) {
            // Sizing every event costs the reader thread more than the rest of its work on fast sources: sample, and
            // when the whole chunk is well within the byte bound per batch, split by rows alone.
            int step = events.size() / 64;
            long sampled = 0;
            int n = 0;
            long largest = 0;
            for (int i = 0; i < events.size(); i += step) {
                long sz = events.get(i).estimatedSize();
                sampled += sz;
                largest = Math.max(largest, sz);
                n++;
            }
            long perBatchEstimate = Math.max(sampled / n, largest / 4) * Math.min(rows, events.size());
            if (perBatchEstimate * 2 < bytes) {
                List<List<ChangeEvent>> out = new ArrayList<>();
                for (int from = 0; from < events.size(); from += rows) {
                    out.add(events.subList(from, Math.min(events.size(), from + rows)));
                }
                return out;
            }
        }
        List<List<ChangeEvent>> out = new ArrayList<>();
        int from = 0;
        long size = 0;
        for (int i = 0; i < events.size(); i++) {
            size += events.get(i).estimatedSize();
            if (i - from + 1 >= rows || size >= bytes || i == events.size() - 1) {
                out.add(events.subList(from, i + 1));
                from = i + 1;
                size = 0;
            }
        }
        return out;
    }

    /** Closes the writer (which sends what it still buffers); never throws. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            writer.close();
        } catch (RuntimeException e) {
            LOG.warn("pipeline {}: closing the writer of '{}': {}", ctx.pipeline(), types.schema().name(), e.toString());
        }
    }
}
