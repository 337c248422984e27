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
 * The query benchmark: syncs the same generated data into every database, then asks each the questions it can
 * answer, in its own language ({@link Queries}), {@code warmup} untimed and {@code runs} timed executions each, one
 * at a time, and reports median and 95th percentile wall times and the speed-up against PostgreSQL. Every timed
 * answer is compared with PostgreSQL's answer to the same question about the same key (numbers to 4 decimals, days
 * as dates, the compared columns of each question); a database answering differently is reported. Writes
 * {@code bench-queries.md} and {@code bench-queries.png}.
 */
public final class QueryBenchmark {

    /**
     * Timings of one query on one database.
     *
     * @param answers  the normalised answer of each timed run (the same keys on every database)
     * @param sameAsReference whether every answer equals the reference database's (PostgreSQL's); null when this is
     *                 the reference or no other database answered the question
     */
    public record Timing(String database, String query, double medianMs, double p95Ms, int rows, String firstRow,
                         List<List<String>> answers, Boolean sameAsReference, String difference) {

        Timing compared(Boolean same, String diff) {
            return new Timing(database, query, medianMs, p95Ms, rows, firstRow, answers, same, diff);
        }
    }

    /** Indexes the PostgreSQL target gets after its sync, for the lookups and joins the other databases index too. */
    static final List<String> POSTGRES_INDEXES = List.of(
            "CREATE INDEX IF NOT EXISTS bench_orders_customer_id ON orders (customer_id)",
            "CREATE INDEX IF NOT EXISTS bench_products_updated_at ON products (updated_at, id)",
            "CREATE INDEX IF NOT EXISTS bench_order_items_order_id ON order_items (order_id)",
            "CREATE INDEX IF NOT EXISTS bench_order_items_product_id ON order_items (product_id)",
            "CREATE INDEX IF NOT EXISTS bench_products_name_fts ON products USING gin (to_tsvector('simple', name))",
            "ANALYZE");

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

    /** Runs the benchmark and returns the timings (database × query), compared with PostgreSQL's answers. */
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
            long t0 = System.nanoTime();
            try (SyncEngine engine = Pipelines.engine(raw, setup.connectors, progress)) {
                SyncReport r = engine.runOnce();
                out.println(r.toText());
                if (!r.succeeded()) {
                    out.println("Skipping " + t.name() + ": the sync failed");
                    continue;
                }
                out.printf(Locale.ROOT, "  synced %,d rows in %.1f s%n", r.rowsRead(), (System.nanoTime() - t0) / 1e9);
            }
            versions.add(t.name() + ": " + BenchSetup.version(t) + " (" + t.kind() + ")");
            databases.add(t.name());
            out.printf("%n== Queries on %s (%d warm-up + %d timed runs each)%n", t.name(), warmup, runs);
            try (QueryRunner q = QueryRunner.open(t)) {
                if (t.type().equals("postgres") && q instanceof QueryRunner.Jdbc jdbc) {
                    for (String ddl : POSTGRES_INDEXES) {
                        jdbc.execute(ddl);
                    }
                }
                for (Queries.Query query : Queries.ALL) {
                    String text = query.text(t.type());
                    if (text == null) {
                        continue;
                    }
                    Timing timing = time(t, q, query, text);
                    timings.add(timing);
                    out.printf(Locale.ROOT, "  %-20s median %9.2f ms  p95 %9.2f ms  %,d rows  first: %s%n", query.name(),
                            timing.medianMs(), timing.p95Ms(), timing.rows(), abbreviate(timing.firstRow()));
                    out.flush();
                }
            }
        }
        List<Timing> checked = compare(timings);
        checked.stream().filter(x -> Boolean.FALSE.equals(x.sameAsReference())).forEach(x -> out.printf(
                "DIFFERENT ANSWER: %s on %s: %s%n", x.query(), x.database(), x.difference()));
        write(checked, databases, versions, setup);
        return checked;
    }

    /** Each timing compared with the first database (PostgreSQL) that answered the same question. */
    static List<Timing> compare(List<Timing> timings) {
        Map<String, Timing> reference = new LinkedHashMap<>();
        Map<String, Integer> answered = new LinkedHashMap<>();
        for (Timing t : timings) {
            reference.putIfAbsent(t.query(), t);
            answered.merge(t.query(), 1, Integer::sum);
        }
        List<Timing> out = new ArrayList<>();
        for (Timing t : timings) {
            Timing ref = reference.get(t.query());
            if (ref == t || answered.get(t.query()) < 2) {
                out.add(t.compared(ref == t && answered.get(t.query()) > 1 ? Boolean.TRUE : null, null));
                continue;
            }
            String diff = null;
            for (int i = 0; i < t.answers().size() && diff == null; i++) {
                if (!t.answers().get(i).equals(ref.answers().get(i))) {
                    diff = "run " + (i + 1) + ": " + abbreviate(String.valueOf(t.answers().get(i))) + " where "
                            + ref.database() + " answered " + abbreviate(String.valueOf(ref.answers().get(i)));
                }
            }
            out.add(t.compared(diff == null, diff));
        }
        return out;
    }

    private Timing time(Target t, QueryRunner q, Queries.Query query, String text) throws Exception {
        long bound = query.ids().bound(orders);
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < warmup; i++) {
            q.run(text, 1 + random.nextLong(bound));
        }
        double[] ms = new double[runs];
        List<List<String>> answers = new ArrayList<>();
        QueryRunner.Answer first = null;
        // questions about a key ask about a different key each time, the same keys on every database
        random = new SplittableRandom(11);
        for (int i = 0; i < runs; i++) {
            long id = 1 + random.nextLong(bound);
            long t0 = System.nanoTime();
            QueryRunner.Answer a = q.run(text, id);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            if (i == 0) {
                first = a;
            }
            answers.add(Answers.normalise(a, query));
        }
        Arrays.sort(ms);
        return new Timing(t.name(), query.name(), percentile(ms, 50), percentile(ms, 95), first.rows().size(),
                first.firstRow(), answers, null, null);
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
                        + "usual client protocol (JDBC; HTTP for ClickHouse and Elasticsearch; the official drivers "
                        + "for MongoDB, Redis and Neo4j), answers read completely. Each database is asked the "
                        + "questions it can answer; the PostgreSQL target gets indexes on orders.customer_id, "
                        + "products.updated_at, order_items.order_id and product_id and a GIN index on "
                        + "to_tsvector('simple', name) after its sync.%n%n",
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
        sb.append("\n×N = PostgreSQL's median divided by this database's median (above 1: faster than PostgreSQL). "
                + "– = the database is not asked this question.\n");
        if (databases.stream().anyMatch(d -> d.contains("imitation"))) {
            sb.append("\n**MongoDB imitation**: mongo-java-server, an in-process imitation of MongoDB's wire protocol. "
                    + "Its figures: imitation, says nothing about MongoDB's speed. They show that the aggregation "
                    + "pipelines answer like the SQL queries.\n");
        }
        sb.append("\n## Answers (rows, first row of the first timed run; = every timed answer equals PostgreSQL's, "
                + "≠ it differs)\n\n| query |");
        databases.forEach(d -> sb.append(' ').append(d).append(" |"));
        sb.append("\n|---|");
        databases.forEach(d -> sb.append("---|"));
        sb.append('\n');
        for (Map.Entry<String, Map<String, Timing>> e : byQuery.entrySet()) {
            sb.append("| ").append(e.getKey()).append(" |");
            for (String d : databases) {
                Timing t = e.getValue().get(d);
                sb.append(t == null ? " – |" : " " + mark(t) + t.rows() + ": `" + abbreviate(t.firstRow()).replace("|", "/")
                        + "` |");
            }
            sb.append('\n');
        }
        List<String> differences = timings.stream().filter(t -> Boolean.FALSE.equals(t.sameAsReference()))
                .map(t -> "- " + t.query() + " on " + t.database() + ": " + t.difference()).toList();
        sb.append(differences.isEmpty() ? "\nEvery database answered every shared question as PostgreSQL did.\n"
                : "\n**Different answers:**\n\n" + String.join("\n", differences) + "\n");
        sb.append("\n## Queries\n\n");
        for (Queries.Query q : Queries.ALL) {
            sb.append("- **").append(q.name()).append("** (").append(q.question()).append(")\n");
            q.dialects().forEach((type, text) -> sb.append("  - ").append(type.equals("postgres") ? "PostgreSQL/CrateDB"
                    : type).append(": `").append(text).append("`\n"));
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

    private static String mark(Timing t) {
        return t.sameAsReference() == null ? "" : t.sameAsReference() ? "= " : "≠ ";
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "…";
    }
}
