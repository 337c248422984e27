package dev.dbsync.cli.bench;

import dev.dbsync.cli.demo.Charts;
import dev.dbsync.cli.demo.Environment;
import dev.dbsync.cli.demo.Machine;
import dev.dbsync.cli.demo.Pipelines;
import dev.dbsync.cli.demo.Target;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncListener;
import dev.dbsync.engine.SyncReport;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The query benchmark: syncs the same generated data into every database, then asks each the same questions in its
 * own dialect ({@link Queries}), {@code warmup} untimed and {@code runs} timed executions each, one at a time, and
 * reports median and 95th percentile wall times and the speed-up against PostgreSQL. Writes
 * {@code bench-queries.md} and {@code bench-queries.png}.
 */
public final class QueryBenchmark {

    /** Timings of one query on one database. */
    public record Timing(String database, String query, double medianMs, double p95Ms, int rows, String firstRow) {
    }

    private final Environment.Options servers;
    private final long orders;
    private final int runs;
    private final int warmup;
    private final Path outDir;
    private final PrintWriter out;
    private final SyncListener progress;

    public QueryBenchmark(Environment.Options servers, long orders, int runs, int warmup, Path outDir, PrintWriter out,
                          SyncListener progress) {
        this.servers = servers;
        this.orders = orders;
        this.runs = runs;
        this.warmup = warmup;
        this.outDir = outDir;
        this.out = out;
        this.progress = progress;
    }

    /** Runs the benchmark and returns the timings (database × query). */
    public List<Timing> run() throws Exception {
        int cores = Math.max(2, Runtime.getRuntime().availableProcessors());
        BenchSetup setup = BenchSetup.prepare(servers, orders, cores, out);
        Path checkpoints = outDir.resolve("bench-checkpoints").resolve(Long.toString(System.nanoTime(), 36));
        List<String> versions = new ArrayList<>();
        List<Timing> timings = new ArrayList<>();
        List<String> databases = new ArrayList<>();
        for (Target t : setup.env.targets()) {
            out.printf("%n== Syncing PostgreSQL -> %s%n", t.name());
            out.flush();
            Map<String, Object> raw = Pipelines.ecommerce("bench-queries-" + t.type(), setup.env.sourceSettings(), t,
                    checkpoints.resolve(t.type()), cores);
            try (SyncEngine engine = Pipelines.engine(raw, setup.connectors, progress)) {
                SyncReport r = engine.runOnce();
                out.println(r.toText());
                if (!r.succeeded()) {
                    out.println("Skipping " + t.name() + ": the sync failed");
                    continue;
                }
            }
            versions.add(t.name() + ": " + BenchSetup.version(t));
            databases.add(t.name());
            String database = String.valueOf(t.settings().getOrDefault("database", "default"));
            out.printf("%n== Queries on %s (%d warm-up + %d timed runs each)%n", t.name(), warmup, runs);
            try (QueryRunner q = QueryRunner.open(t, database)) {
                for (Queries.Query query : Queries.ALL) {
                    Timing timing = time(t, q, query);
                    timings.add(timing);
                    out.printf(Locale.ROOT, "  %-20s median %9.2f ms  p95 %9.2f ms  %,d rows  first: %s%n", query.name(),
                            timing.medianMs(), timing.p95Ms(), timing.rows(), abbreviate(timing.firstRow()));
                    out.flush();
                }
            }
        }
        write(timings, databases, versions, setup);
        return timings;
    }

    private Timing time(Target t, QueryRunner q, Queries.Query query) throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        QueryRunner.Answer answer = null;
        for (int i = 0; i < warmup; i++) {
            answer = q.run(query.sql(t.type(), 1 + random.nextLong(orders)));
        }
        double[] ms = new double[runs];
        // the point lookup asks for a different key each time, the same keys on every database
        random = new SplittableRandom(11);
        for (int i = 0; i < runs; i++) {
            String sql = query.sql(t.type(), 1 + random.nextLong(orders));
            long t0 = System.nanoTime();
            QueryRunner.Answer a = q.run(sql);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            if (i == 0) {
                answer = a;
            }
        }
        Arrays.sort(ms);
        return new Timing(t.name(), query.name(), percentile(ms, 50), percentile(ms, 95), answer.rows(), answer.firstRow());
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private void write(List<Timing> timings, List<String> databases, List<String> versions, BenchSetup setup) throws Exception {
        Files.createDirectories(outDir);
        Map<String, Map<String, Timing>> byQuery = new LinkedHashMap<>();
        for (Timing t : timings) {
            byQuery.computeIfAbsent(t.query(), k -> new LinkedHashMap<>()).put(t.database(), t);
        }
        StringBuilder sb = new StringBuilder("# dbsync query benchmark\n\n");
        sb.append("Run at ").append(Instant.now()).append(String.format(Locale.ROOT,
                ". The same e-commerce data (%,d rows generated, %,d orders) synced by dbsync into every database; "
                        + "%d warm-up and %d timed runs per query, one at a time, from this JVM over the database's "
                        + "usual client protocol (JDBC; HTTP for ClickHouse), answers read completely.%n%n",
                setup.generation.totalRows(), orders, warmup, runs));
        sb.append("## Machine\n\n").append(Machine.describe());
        versions.forEach(v -> sb.append("- ").append(v).append('\n'));
        setup.env.skipped().forEach(s -> sb.append("- ").append(s).append('\n'));
        sb.append("\n## Median (p95) in ms, speed-up against PostgreSQL\n\n| query |");
        databases.forEach(d -> sb.append(' ').append(d).append(" |"));
        sb.append("\n|---|");
        databases.forEach(d -> sb.append("---:|"));
        sb.append('\n');
        for (Map.Entry<String, Map<String, Timing>> e : byQuery.entrySet()) {
            sb.append("| ").append(e.getKey()).append(" |");
            Timing pg = e.getValue().get("PostgreSQL");
            for (String d : databases) {
                Timing t = e.getValue().get(d);
                if (t == null) {
                    sb.append(" – |");
                    continue;
                }
                sb.append(String.format(Locale.ROOT, " %.2f (%.2f)", t.medianMs(), t.p95Ms()));
                if (pg != null && !d.equals("PostgreSQL")) {
                    sb.append(String.format(Locale.ROOT, " ×%.2f", pg.medianMs() / t.medianMs()));
                }
                sb.append(" |");
            }
            sb.append('\n');
        }
        sb.append("\n×N = PostgreSQL's median divided by this database's median (above 1: faster than PostgreSQL).\n");
        sb.append("\n## Answers (rows, first row), to check every database answered the same question\n\n| query |");
        databases.forEach(d -> sb.append(' ').append(d).append(" |"));
        sb.append("\n|---|");
        databases.forEach(d -> sb.append("---|"));
        sb.append('\n');
        for (Map.Entry<String, Map<String, Timing>> e : byQuery.entrySet()) {
            sb.append("| ").append(e.getKey()).append(" |");
            for (String d : databases) {
                Timing t = e.getValue().get(d);
                sb.append(t == null ? " – |" : " " + t.rows() + ": `" + abbreviate(t.firstRow()).replace("|", "/") + "` |");
            }
            sb.append('\n');
        }
        sb.append("\n## Queries\n\n");
        for (Queries.Query q : Queries.ALL) {
            sb.append("- **").append(q.name()).append("** (").append(q.question()).append(")\n  - PostgreSQL/CrateDB: `")
                    .append(q.postgres()).append("`\n  - ClickHouse: `").append(q.clickhouse()).append("`\n");
        }
        sb.append("\n![median query time per database](bench-queries.png)\n");
        Files.writeString(outDir.resolve("bench-queries.md"), sb.toString(), StandardCharsets.UTF_8);

        Map<String, List<? extends Number>> series = new LinkedHashMap<>();
        List<String> categories = new ArrayList<>(byQuery.keySet());
        for (String d : databases) {
            List<Double> medians = new ArrayList<>();
            for (String q : categories) {
                Timing t = byQuery.get(q).get(d);
                medians.add(t == null ? 0 : t.medianMs());
            }
            series.put(d, medians);
        }
        Charts.bars(outDir.resolve("bench-queries.png"), "Median query time (ms; lower is better)", "ms",
                categories, series, false);
        out.println("Report: " + outDir.resolve("bench-queries.md").toAbsolutePath());
        out.println("Chart:  " + outDir.resolve("bench-queries.png").toAbsolutePath());
        out.flush();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "…";
    }
}
