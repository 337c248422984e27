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
 */
public record SyncReport(String pipeline, Instant started, Duration duration, List<TableReport> tables) {

    public SyncReport {
        requireNonNull(pipeline, "pipeline is null");
        tables = List.copyOf(tables);
    }

    /** Whether every table succeeded. */
    public boolean succeeded() {
        return tables.stream().allMatch(TableReport::succeeded);
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
        return sb.toString();
    }
}
