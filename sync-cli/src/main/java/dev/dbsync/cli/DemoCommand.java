package dev.dbsync.cli;

import dev.dbsync.cli.demo.Demo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dbsync demo}: the whole story on embedded defaults, or against real servers. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Generates the e-commerce data set in PostgreSQL (embedded unless --postgres-url), syncs it to "
                + "every target available (PostgreSQL always; ClickHouse started locally or at --clickhouse-url; "
                + "CrateDB with --crate-url; MongoDB with --mongo-url, or its in-process imitation with --mongo-imitation), "
                + "changes rows, syncs incrementally, verifies every target and writes "
                + "<out>/demo-report.md and <out>/demo-chart.png.",
                "Exit code 0 when every target equals the source, 1 when a sync failed, 3 on differences."},
        footer = ExitCodes.TABLE)
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--orders", defaultValue = "100000", description = "orders to generate; customers = orders/5, "
            + "products = orders/20, ~2.45 items per order (default ${DEFAULT-VALUE})")
    long orders;

    @Option(names = "--seed", defaultValue = "42", description = "generator seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", defaultValue = "dbsync-out", description = "output directory (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--parallelism", description = "tables synced at once and generator connections (default: cores)")
    Integer parallelism;

    @Mixin
    ServerOptions servers;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        int p = parallelism != null ? parallelism : Math.max(2, Runtime.getRuntime().availableProcessors());
        Demo demo = new Demo(new Demo.Options(orders, seed, servers.toOptions(), out, p), w,
                step -> ProgressBar.console(w));
        Demo.Result r = demo.run();
        boolean syncFailed = r.targets().stream().anyMatch(t -> !t.full().succeeded() || !t.incremental().succeeded());
        if (syncFailed) {
            w.println("dbsync: FAILED demo: a sync failed (see the report)");
            return ExitCodes.TABLE_FAILED;
        }
        if (!r.ok()) {
            w.println("dbsync: DIFFERENT demo: a target differs from the source (see the report)");
            return ExitCodes.DIFFERENCES;
        }
        w.println("dbsync: OK demo: " + r.targets().size() + " targets equal the source");
        return ExitCodes.OK;
    }
}
