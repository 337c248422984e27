package dev.dbsync.cli;

import dev.dbsync.cli.bench.WriteBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dbsync bench writes}. */
@Command(name = "writes", mixinStandardHelpOptions = true,
        description = {"Syncs the same generated data in full into each sink in turn and reports rows/s, the JVM's "
                + "CPU time and the peak heap per sink.", "Writes <out>/bench-writes.md and <out>/bench-writes.png."})
final class BenchWritesCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--orders", defaultValue = "100000", description = "orders to generate (default ${DEFAULT-VALUE})")
    long orders;

    @Option(names = "--out", defaultValue = "dbsync-out", description = "output directory (default ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    ServerOptions servers;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        List<WriteBenchmark.Result> results = new WriteBenchmark(servers.toOptions(), orders, out, w,
                ProgressBar.console(w)).run();
        boolean ok = results.stream().allMatch(WriteBenchmark.Result::succeeded);
        w.println(ok ? "dbsync: OK bench writes" : "dbsync: FAILED bench writes: a sync failed");
        return ok ? ExitCodes.OK : ExitCodes.TABLE_FAILED;
    }
}
