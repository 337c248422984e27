package dev.dbsync.cli.demo;

import static java.util.Objects.requireNonNull;

import dev.dbsync.cli.datagen.ConnectionSource;
import dev.dbsync.cli.datagen.EcommerceGenerator;
import dev.dbsync.cli.datagen.EcommerceMutations;
import dev.dbsync.cli.datagen.EcommerceTable;
import dev.dbsync.cli.datagen.GenerationReport;
import dev.dbsync.cli.datagen.MutationResult;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncListener;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableReport;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.verify.TableVerification;
import dev.dbsync.verify.Verifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The demo: generates the e-commerce data set in PostgreSQL, syncs it fully to every target it can reach from one
 * read (one pipeline, every target a sink of it), changes rows the way an application would (inserts, updates, soft
 * deletes), syncs incrementally, checks that every target equals the source, and writes the report as Markdown and
 * as a chart.
 */
public final class Demo {

    /**
     * What to run.
     *
     * @param orders      orders generated (the other tables are sized from it)
     * @param seed        generator seed
     * @param environment where the servers are
     * @param outDir      where the report, the chart and the checkpoints go
     * @param parallelism tables synced at once and connections used by the generator
     */
    public record Options(long orders, long seed, Environment.Options environment, Path outDir, int parallelism) {
        public Options {
            requireNonNull(environment, "environment is null");
            requireNonNull(outDir, "outDir is null");
        }
    }

    /** What the demo expects of one table after the mutations, and what it found. */
    public record TableChanges(String table, int inserted, int updated, int softDeleted, long expectedUpserted,
                               long expectedDeleted) {
    }

    /**
     * One target's results.
     *
     * @param target      the target
     * @param full        report of the full sync
     * @param incremental report of the incremental sync
     * @param verified    verification of every table after the incremental sync
     * @param changedRowsFound  per table: the inserted and updated ids found in the target
     * @param deletedRowsFound  per table: the soft-deleted ids still found in the target (0 when correct)
     */
    public record TargetRun(Target target, SyncReport full, SyncReport incremental, List<TableVerification> verified,
                            Map<String, Integer> changedRowsFound, Map<String, Integer> deletedRowsFound) {

        /** Whether both syncs succeeded and the target equals the source, changed rows included. */
        public boolean ok(Map<String, TableChanges> changes) {
            if (!full.succeeded() || !incremental.succeeded()) {
                return false;
            }
            for (TableVerification r : verified) {
                if (!r.equal()) {
                    return false;
                }
            }
            for (TableChanges c : changes.values()) {
                if (changedRowsFound.getOrDefault(c.table(), -1) != c.expectedUpserted()
                        || deletedRowsFound.getOrDefault(c.table(), -1) != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The whole run. */
    public record Result(GenerationReport generation, Map<String, Long> sourceRows, Map<String, TableChanges> changes,
                         List<TargetRun> targets, List<String> skipped, Path markdown, Path chart, double seconds) {

        public boolean ok() {
            return targets.stream().allMatch(t -> t.ok(changes));
        }
    }

    private final Options options;
    private final PrintWriter out;
    private final Function<String, SyncListener> progress;

    /**
     * @param progress makes the listener showing the progress of one step (e.g. a progress bar), given the step's title
     */
    public Demo(Options options, PrintWriter out, Function<String, SyncListener> progress) {
        this.options = requireNonNull(options, "options is null");
        this.out = requireNonNull(out, "out is null");
        this.progress = requireNonNull(progress, "progress is null");
    }

    public Result run() throws Exception {
        long t0 = System.nanoTime();
        Connectors connectors = Connectors.load();
        Environment env = Environment.resolve(options.environment(), "demo", Environment.Scope.DEMO, connectors, out);

        step("1. Generating the e-commerce data set (" + String.format(Locale.ROOT, "%,d", options.orders()) + " orders)");
        EcommerceGenerator generator = EcommerceGenerator.builder().scale(options.orders()).seed(options.seed())
                .parallelism(options.parallelism()).replaceExisting(true).build();
        ConnectionSource db = ConnectionSource.of(env.sourceUrl(), env.user(), env.password());
        GenerationReport generation = generator.generate(db);
        out.print(generation);

        Path checkpoints = options.outDir().resolve("checkpoints");
        deleteTree(checkpoints);
        List<SyncEngine> engines = new ArrayList<>();
        try {
            // one pipeline, every target a sink of it: the source is read once for all of them
            String names = String.join(", ", env.targets().stream().map(Target::name).toList());
            step("2. Full sync PostgreSQL -> " + names + " (one read, " + env.targets().size() + " sinks)");
            Map<String, Object> raw = Pipelines.ecommerce("demo", env.sourceSettings(), env.targets(), checkpoints,
                    options.parallelism());
            SyncEngine engine = Pipelines.engine(raw, connectors, progress.apply("full sync to " + names));
            engines.add(engine);
            SyncReport full = engine.runOnce();
            out.println(full.toText());

            step("3. Changing rows in PostgreSQL: updates, soft deletes, inserts");
            Map<String, TableChanges> changes = mutate(generator.mutations(db));
            printChanges(changes);
            // the source reads changes up to a safe bound 100 ms behind the current time
            Thread.sleep(300);

            step("4. Incremental sync PostgreSQL -> " + names + " (one read)");
            SyncReport inc = engine.runOnce();
            out.println(inc.toText());
            printComparison(inc, changes);
            List<TargetRun> runs = new ArrayList<>();
            for (Target target : env.targets()) {
                step("5. Verifying " + target.name() + " against the source");
                runs.add(verify(connectors, env, target, full, inc, changes));
            }
            Map<String, Long> sourceRows = new LinkedHashMap<>();
            if (!runs.isEmpty()) {
                runs.get(0).verified().forEach(v -> sourceRows.put(shortName(v.table()), v.sourceRows()));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Files.createDirectories(options.outDir());
            Path md = options.outDir().resolve("demo-report.md");
            Path png = options.outDir().resolve("demo-chart.png");
            Result result = new Result(generation, sourceRows, changes, runs, env.skipped(), md, png, seconds);
            DemoReport.write(result, env, md, png);
            step("Done in " + String.format(Locale.ROOT, "%.1f", seconds) + " s: " + (result.ok()
                    ? "every target equals the source" : "DIFFERENCES FOUND (see the report)"));
            out.println("Report: " + md.toAbsolutePath());
            out.println("Chart:  " + png.toAbsolutePath());
            out.flush();
            return result;
        } finally {
            for (SyncEngine e : engines) {
                e.close();
            }
        }
    }

    /** Updates, then soft deletes, then inserts, so inserted rows are never also counted as updated or deleted. */
    private Map<String, TableChanges> mutate(EcommerceMutations m) throws Exception {
        long n = options.orders();
        Map<EcommerceTable, Set<Long>> updated = new LinkedHashMap<>();
        Map<EcommerceTable, Set<Long>> deleted = new LinkedHashMap<>();
        Map<EcommerceTable, Set<Long>> inserted = new LinkedHashMap<>();
        for (EcommerceTable t : EcommerceTable.values()) {
            updated.put(t, new TreeSet<>());
            deleted.put(t, new TreeSet<>());
            inserted.put(t, new TreeSet<>());
        }
        collect(updated, m.update(EcommerceTable.ORDERS, atLeast1(n / 50)));
        collect(updated, m.update(EcommerceTable.ORDER_ITEMS, atLeast1(n / 50)));
        collect(updated, m.update(EcommerceTable.CUSTOMERS, atLeast1(n / 200)));
        collect(updated, m.update(EcommerceTable.PRODUCTS, atLeast1(n / 500)));
        collect(updated, m.update(EcommerceTable.CATEGORIES, 2));
        collect(deleted, m.softDelete(EcommerceTable.ORDERS, atLeast1(n / 200)));
        collect(deleted, m.softDelete(EcommerceTable.ORDER_ITEMS, atLeast1(n / 200)));
        collect(deleted, m.softDelete(EcommerceTable.CUSTOMERS, atLeast1(n / 1000)));
        collect(deleted, m.softDelete(EcommerceTable.PRODUCTS, atLeast1(n / 2000)));
        collect(inserted, m.insert(EcommerceTable.ORDERS, atLeast1(n / 100)));
        collect(inserted, m.insert(EcommerceTable.CUSTOMERS, atLeast1(n / 500)));
        collect(inserted, m.insert(EcommerceTable.PRODUCTS, atLeast1(n / 1000)));
        collect(inserted, m.insert(EcommerceTable.CATEGORIES, 1));
        Map<String, TableChanges> out = new LinkedHashMap<>();
        for (EcommerceTable t : EcommerceTable.values()) {
            Set<Long> upd = new LinkedHashSet<>(updated.get(t));
            upd.removeAll(deleted.get(t));
            out.put(t.tableName(), new TableChanges(t.tableName(), inserted.get(t).size(), updated.get(t).size(),
                    deleted.get(t).size(), inserted.get(t).size() + upd.size(), deleted.get(t).size()));
        }
        changedIds = new LinkedHashMap<>();
        deletedIds = new LinkedHashMap<>();
        for (EcommerceTable t : EcommerceTable.values()) {
            Set<String> changed = new TreeSet<>();
            inserted.get(t).forEach(id -> changed.add(id.toString()));
            updated.get(t).stream().filter(id -> !deleted.get(t).contains(id)).forEach(id -> changed.add(id.toString()));
            changedIds.put(t.tableName(), changed);
            Set<String> gone = new TreeSet<>();
            deleted.get(t).forEach(id -> gone.add(id.toString()));
            deletedIds.put(t.tableName(), gone);
        }
        return out;
    }

    private Map<String, Set<String>> changedIds;
    private Map<String, Set<String>> deletedIds;

    private static int atLeast1(long n) {
        return (int) Math.max(1, n);
    }

    private static void collect(Map<EcommerceTable, Set<Long>> into, MutationResult r) {
        for (EcommerceTable t : EcommerceTable.values()) {
            into.get(t).addAll(r.ids(t));
        }
    }

    private TargetRun verify(Connectors connectors, Environment env, Target target, SyncReport full, SyncReport inc,
                             Map<String, TableChanges> changes) {
        List<TableVerification> results = new ArrayList<>();
        Map<String, Integer> changedFound = new LinkedHashMap<>();
        Map<String, Integer> deletedFound = new LinkedHashMap<>();
        Map<String, Object> readerSettings = readerSettings(connectors, target);
        try (Source source = connectors.createSource("postgres", env.sourceSettings());
             Source reader = connectors.createSource(target.type(), readerSettings);
             Sink sink = connectors.createSink(target.type(), target.settings())) {
            // the sink says what the target can hold (stored forms, refused values): verification compares through it
            Verifier.Builder builder = Verifier.builder().source(source).target(reader).sink(sink)
                    .chunkKeys(1000).maxKeys(10);
            for (EcommerceTable t : EcommerceTable.values()) {
                String name = t.tableName();
                Set<String> probe = new TreeSet<>(changedIds.get(name));
                probe.addAll(deletedIds.get(name));
                builder.table(TableSpec.of("public." + name).withCursor("updated_at").withSoftDelete("is_deleted"),
                        name, probe);
            }
            out.printf(Locale.ROOT, "  %-14s %12s %12s %8s  %-10s %s%n", "table", "source rows", "target rows", "chunks",
                    "result", "changed rows found / deleted rows left");
            try (Verifier verifier = builder.build()) {
                for (TableVerification r : verifier.run().tables()) {
                    String name = shortName(r.table());
                    results.add(r);
                    int changed = (int) changedIds.get(name).stream().filter(r.probesFound()::contains).count();
                    int left = (int) deletedIds.get(name).stream().filter(r.probesFound()::contains).count();
                    changedFound.put(name, changed);
                    deletedFound.put(name, left);
                    out.printf(Locale.ROOT, "  %-14s %,12d %,12d %8d  %-10s %,d of %,d / %,d%n", name, r.sourceRows(),
                            r.targetRows(), r.chunks(), result(r), changed, changes.get(name).expectedUpserted(), left);
                    if (!r.verified()) {
                        out.println("    " + r.error());
                    } else if (!r.equal()) {
                        out.println("    missing " + r.missing() + " extra " + r.extra() + " different " + r.different());
                    }
                }
            }
        }
        out.flush();
        return new TargetRun(target, full, inc, results, changedFound, deletedFound);
    }

    /** A table's verification result in a word or two. */
    static String result(TableVerification r) {
        if (!r.verified()) {
            return "not verified";
        }
        return r.equal() ? "equal" : r.differences() + " differ";
    }

    /** The sink settings the target's source connector declares (the rule {@code dbsync verify} uses too). */
    static Map<String, Object> readerSettings(Connectors connectors, Target target) {
        return Verifier.readerSettings(connectors.source(target.type()), target.settings());
    }

    private void printChanges(Map<String, TableChanges> changes) {
        out.printf(Locale.ROOT, "  %-14s %10s %10s %12s%n", "table", "inserted", "updated", "soft-deleted");
        for (TableChanges c : changes.values()) {
            out.printf(Locale.ROOT, "  %-14s %,10d %,10d %,12d%n", c.table(), c.inserted(), c.updated(), c.softDeleted());
        }
        out.flush();
    }

    private void printComparison(SyncReport inc, Map<String, TableChanges> changes) {
        out.printf(Locale.ROOT, "  %-14s %10s %10s %10s %10s %8s  %s%n", "table", "upserted", "expected", "deleted",
                "expected", "failed", "");
        for (TableReport r : inc.tables()) {
            TableChanges c = changes.get(shortName(r.table()));
            boolean match = r.upserted() == c.expectedUpserted() && r.deleted() == c.expectedDeleted();
            out.printf(Locale.ROOT, "  %-14s %,10d %,10d %,10d %,10d %,8d  %s%n", shortName(r.table()), r.upserted(),
                    c.expectedUpserted(), r.deleted(), c.expectedDeleted(), r.failed(),
                    match ? "as expected" : "differs (replays of rows at a chunk boundary are harmless)");
        }
        out.flush();
    }

    static String shortName(String table) {
        return table.substring(table.lastIndexOf('.') + 1);
    }

    private final long started = System.nanoTime();

    private void step(String title) {
        out.println();
        out.printf(Locale.ROOT, "== [%5.1f s] %s%n", (System.nanoTime() - started) / 1e9, title);
        out.flush();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
