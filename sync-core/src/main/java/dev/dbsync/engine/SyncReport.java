package dev.dbsync.engine;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * What one run of a pipeline did, per table.
 *
 * @param pipeline the pipeline name
 * @param started  when the run started
 * @param duration wall time of the run
 * @param tables   one report per table, in configuration order
 * @param sinks    one report per sink when the pipeline has several (named) sinks; empty otherwise. The table
 *                 reports then count what was read once and written to the first attached sink
 */
public record SyncReport(String pipeline, Instant started, Duration duration, List<TableReport> tables, List<SinkReport> sinks,
                         FeedReport feed) {

    /**
     * The change feed at the end of the run.
     *
     * @param status       what it retains on the source and how far behind it is
     * @param aboveWarning whether it retains more than {@code feed.warn.retained}
     */
    public record FeedReport(dev.dbsync.spi.FeedStatus status, boolean aboveWarning) {
    }

    public SyncReport {
        requireNonNull(pipeline, "pipeline is null");
        tables = List.copyOf(tables);
        sinks = List.copyOf(sinks);
    }

    /** A report of a pipeline with one sink and no change feed status. */
    public SyncReport(String pipeline, Instant started, Duration duration, List<TableReport> tables) {
        this(pipeline, started, duration, tables, List.of(), null);
    }

    /** A report without change feed status. */
    public SyncReport(String pipeline, Instant started, Duration duration, List<TableReport> tables, List<SinkReport> sinks) {
        this(pipeline, started, duration, tables, sinks, null);
    }

    /** Whether every table succeeded and every sink is current. */
    public boolean succeeded() {
        return tables.stream().allMatch(TableReport::succeeded) && sinks.stream().allMatch(SinkReport::succeeded);
    }

    /** The report of one sink; throws when the pipeline has no sink of that name. */
    public SinkReport sink(String name) {
        return sinks.stream().filter(s -> s.sink().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no sink '" + name + "' in the report of pipeline " + pipeline));
    }

    /** The report of one source table; throws when the table is not part of the run. */
    public TableReport table(String name) {
        return tables.stream().filter(t -> t.table().equals(name) || t.target().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no table '" + name + "' in the report of pipeline " + pipeline));
    }

    public long rowsRead() {
        return tables.stream().mapToLong(TableReport::rowsRead).sum();
    }

    public long upserted() {
        return tables.stream().mapToLong(TableReport::upserted).sum();
    }

    public long deleted() {
        return tables.stream().mapToLong(TableReport::deleted).sum();
    }

    public long failed() {
        return tables.stream().mapToLong(TableReport::failed).sum();
    }

    /** A fixed-width text table for logs and terminals. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-28s %-10s %12s %12s %10s %8s %8s %10s %12s  %s%n",
                "table", "strategy", "read", "upserted", "deleted", "failed", "retries", "seconds", "rows/s", "status"));
        for (TableReport t : tables) {
            sb.append(String.format(Locale.ROOT, "%-28s %-10s %12d %12d %10d %8d %8d %10.2f %12.0f  %s%n",
                    t.table(), t.strategy() + (t.snapshot() ? "*" : ""), t.rowsRead(), t.upserted(), t.deleted(),
                    t.failed(), t.retries(), t.duration().toMillis() / 1000.0, t.rowsPerSecond(),
                    t.succeeded() ? "ok" : "FAILED: " + t.error()));
        }
        sb.append("(* = read a full snapshot)");
        if (feed != null) {
            sb.append(String.format(Locale.ROOT, "%nchange feed: %s%s", feed.status(),
                    feed.aboveWarning() ? "  WARNING: above feed.warn.retained; a feed that is not read keeps the source's log" : ""));
        }
        if (!sinks.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%n%-20s %-11s %12s %10s %10s %8s  %s%n", "sink", "state", "upserted", "deleted",
                    "skipped", "failed", "note"));
            for (SinkReport s : sinks) {
                sb.append(String.format(Locale.ROOT, "%-20s %-11s %12d %10d %10d %8d  %s%n", s.sink(), s.state(), s.upserted(),
                        s.deleted(), s.skipped(), s.failed(), s.error() == null ? "" : s.error()));
            }
            sb.setLength(sb.length() - System.lineSeparator().length());
        }
        return sb.toString();
    }
}
