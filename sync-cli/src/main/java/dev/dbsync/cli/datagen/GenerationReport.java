package dev.dbsync.cli.datagen;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What a generator wrote: rows, bytes and time per table, plus the time spent building keys and indexes.
 *
 * @param tables      per-table figures, in load order; never null
 * @param loadTime    wall time of all COPY streams
 * @param indexTime   wall time of primary keys, indexes, foreign keys and ANALYZE (zero in a dry run)
 * @param parallelism number of connections (or threads in a dry run) used
 * @param written     false for a dry run, where rows were generated and discarded
 */
public record GenerationReport(List<TableReport> tables, Duration loadTime, Duration indexTime, int parallelism,
                               boolean written) {

    public GenerationReport {
        tables = List.copyOf(requireNonNull(tables, "tables is null"));
        requireNonNull(loadTime, "loadTime is null");
        requireNonNull(indexTime, "indexTime is null");
    }

    /**
     * Figures of one table.
     *
     * @param table   table name
     * @param rows    rows written
     * @param bytes   bytes of COPY text sent
     * @param elapsed wall time of the table's COPY streams
     */
    public record TableReport(String table, long rows, long bytes, Duration elapsed) {

        public TableReport {
            requireNonNull(table, "table is null");
            requireNonNull(elapsed, "elapsed is null");
        }

        public double rowsPerSecond() {
            return perSecond(rows, elapsed);
        }
    }

    public long totalRows() {
        return tables.stream().mapToLong(TableReport::rows).sum();
    }

    public long totalBytes() {
        return tables.stream().mapToLong(TableReport::bytes).sum();
    }

    /** Rows per second of the COPY phase. */
    public double rowsPerSecond() {
        return perSecond(totalRows(), loadTime);
    }

    /** The report of {@code table}; throws if the table is not part of it. */
    public TableReport table(String table) {
        return tables.stream().filter(t -> t.table().equals(table)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No table " + table + " in this report"));
    }

    private static double perSecond(long count, Duration elapsed) {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : count / seconds;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%-14s %12s %10s %10s %12s%n", "table", "rows", "MB", "seconds", "rows/s"));
        for (TableReport t : tables) {
            text.append(String.format(Locale.ROOT, "%-14s %,12d %10.1f %10.2f %,12.0f%n", t.table(), t.rows(),
                    t.bytes() / 1e6, t.elapsed().toNanos() / 1e9, t.rowsPerSecond()));
        }
        text.append(String.format(Locale.ROOT, "%-14s %,12d %10.1f %10.2f %,12.0f%n", "total", totalRows(),
                totalBytes() / 1e6, loadTime.toNanos() / 1e9, rowsPerSecond()));
        text.append(String.format(Locale.ROOT, "%s with parallelism %d; keys, indexes and ANALYZE: %.2f s%n",
                written ? "COPY" : "generation only (dry run)", parallelism, indexTime.toNanos() / 1e9));
        return text.toString();
    }
}
