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
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The write benchmark: the same generated source data synced in full into each sink in turn (every database
 * target plus the example JSON-lines sink), measuring rows per second, the CPU time of this JVM (the databases
 * run in their own processes and are not counted) and the peak heap use during the sync. Writes
 * {@code bench-writes.md} and {@code bench-writes.png}.
 */
public final class WriteBenchmark {

    /** Figures of one sink. */
    public record Result(String sink, long rows, double seconds, double rowsPerSecond, double cpuSeconds,
                         long peakHeapBytes, boolean succeeded) {
    }

    private final Environment.Options servers;
    private final long orders;
    private final Path outDir;
    private final PrintWriter out;
    private final SyncListener progress;

    public WriteBenchmark(Environment.Options servers, long orders, Path outDir, PrintWriter out, SyncListener progress) {
        this.servers = servers;
        this.orders = orders;
        this.outDir = outDir;
        this.out = out;
        this.progress = progress;
    }

    public List<Result> run() throws Exception {
        int cores = Math.max(2, Runtime.getRuntime().availableProcessors());
        BenchSetup setup = BenchSetup.prepare(servers, orders, cores, out);
        List<Target> sinks = new ArrayList<>(setup.env.targets());
        // the MongoDB imitation keeps its data in this JVM's heap: last, so the other sinks' heap figures are their own
        sinks.sort(java.util.Comparator.comparing(t -> t.name().contains("imitation")));
        Path files = outDir.resolve("bench-jsonl").resolve(Long.toString(System.nanoTime(), 36));
        // the example sink is there when the examples jar is on the class path
        if (setup.connectors.sinks().stream().anyMatch(f -> f.name().equals("jsonl-files"))) {
            sinks.add(new Target("JSON-lines files (example sink)", "jsonl-files", Map.of("dir", files.toString()),
                    "local files under " + files, null, null, null));
        }
        Path checkpoints = outDir.resolve("bench-checkpoints").resolve(Long.toString(System.nanoTime(), 36));
        List<Result> results = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        for (Target t : sinks) {
            out.printf("%n== Full sync PostgreSQL -> %s%n", t.name());
            out.flush();
            Map<String, Object> raw = Pipelines.ecommerce("bench-writes-" + t.type(), setup.env.sourceSettings(), t,
                    checkpoints.resolve(t.type()), cores);
            try (SyncEngine engine = Pipelines.engine(raw, setup.connectors, progress)) {
                System.gc();
                List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                        .filter(p -> p.getType() == MemoryType.HEAP && p.isValid()).toList();
                heap.forEach(MemoryPoolMXBean::resetPeakUsage);
                long cpu0 = cpuNanos();
                long t0 = System.nanoTime();
                SyncReport r = engine.runOnce();
                double seconds = (System.nanoTime() - t0) / 1e9;
                double cpu = (cpuNanos() - cpu0) / 1e9;
                long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
                out.println(r.toText());
                Result res = new Result(t.name(), r.rowsRead(), seconds, r.rowsRead() / seconds, cpu, peak, r.succeeded());
                results.add(res);
                out.printf(Locale.ROOT, "  %s: %,d rows in %.2f s = %,.0f rows/s, JVM CPU %.2f s, peak heap %.0f MiB%n",
                        t.name(), res.rows(), seconds, res.rowsPerSecond(), cpu, peak / 1048576.0);
                out.flush();
            }
            versions.add(t.name() + ": " + (t.queryUrl() == null ? t.kind() : BenchSetup.version(t)));
        }
        write(results, versions, setup);
        return results;
    }

    private static long cpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    private void write(List<Result> results, List<String> versions, BenchSetup setup) throws Exception {
        Files.createDirectories(outDir);
        StringBuilder sb = new StringBuilder("# dbsync write benchmark\n\n");
        sb.append("Run at ").append(Instant.now()).append(String.format(Locale.ROOT,
                ". A full sync of the same e-commerce data (%,d rows in 5 tables, %,d orders) from PostgreSQL into each "
                        + "sink, one after the other, with the engine's defaults except parallelism = %d tables. CPU "
                        + "is the time of this JVM (reader, engine and sink); the database servers run in their own "
                        + "processes and are not included. Peak heap = the sum of the heap pools' peak use during "
                        + "the sync, after a GC.%n%n", setup.generation.totalRows(), orders,
                Math.max(2, Runtime.getRuntime().availableProcessors())));
        sb.append("## Machine\n\n").append(Machine.describe());
        sb.append("- Source: ").append(BenchSetup.version(setup.env.targets().get(0))).append('\n');
        versions.forEach(v -> sb.append("- ").append(v).append('\n'));
        setup.env.skipped().forEach(s -> sb.append("- ").append(s).append('\n'));
        sb.append("\n## Results\n\n| sink | rows | seconds | rows/s | JVM CPU s | CPU s per 100k rows | peak heap MiB | status |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %.2f | %,.0f | %.2f | %.2f | %.0f | %s |%n", r.sink(), r.rows(),
                    r.seconds(), r.rowsPerSecond(), r.cpuSeconds(), r.rows() == 0 ? 0 : r.cpuSeconds() * 100_000 / r.rows(),
                    r.peakHeapBytes() / 1048576.0, r.succeeded() ? "ok" : "FAILED"));
        }
        if (results.stream().anyMatch(r -> r.sink().contains("imitation"))) {
            sb.append("\n**MongoDB imitation**: mongo-java-server, an in-process imitation of MongoDB's wire protocol "
                    + "running inside this JVM (its CPU and heap are counted above). Its figures: imitation, says nothing "
                    + "about MongoDB's speed. They show that the sync into it works.\n");
        }
        sb.append("\n![rows per second per sink](bench-writes.png)\n");
        Files.writeString(outDir.resolve("bench-writes.md"), sb.toString(), StandardCharsets.UTF_8);
        Map<String, List<? extends Number>> series = new LinkedHashMap<>();
        series.put("rows/s", results.stream().map(Result::rowsPerSecond).toList());
        Charts.bars(outDir.resolve("bench-writes.png"), "Full sync from PostgreSQL: rows per second (higher is better)",
                "rows/s", results.stream().map(Result::sink).toList(), series, false);
        out.println("Report: " + outDir.resolve("bench-writes.md").toAbsolutePath());
        out.println("Chart:  " + outDir.resolve("bench-writes.png").toAbsolutePath());
        out.flush();
    }
}
