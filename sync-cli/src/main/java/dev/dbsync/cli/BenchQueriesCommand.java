package dev.dbsync.cli;

import dev.dbsync.cli.bench.QueryBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dbsync bench queries}. */
@Command(name = "queries", mixinStandardHelpOptions = true,
        description = {"Syncs the generated e-commerce data into every database available, asks each the questions it "
                + "can answer in its own language (SQL, aggregation pipelines, search requests, Redis commands, Cypher), "
                + "checks the answers equal PostgreSQL's and reports median and p95 times and the speed-up against "
                + "PostgreSQL. MongoDB, Elasticsearch, Redis and Neo4j take part when their URL is given.", "Writes <out>/bench-queries.md and <out>/bench-queries.png."})
final class BenchQueriesCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--orders", defaultValue = "100000", description = "orders to generate (default ${DEFAULT-VALUE})")
    long orders;

    @Option(names = "--runs", defaultValue = "10", description = "timed runs per query (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed runs per query first (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--out", defaultValue = "dbsync-out", description = "output directory (default ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    ServerOptions servers;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--runs must be >= 1 and --warmup >= 0");
        }
        PrintWriter w = spec.commandLine().getOut();
        boolean same = new QueryBenchmark(servers.toOptions(), orders, runs, warmup, out, w, ProgressBar.console(w)).run()
                .stream().noneMatch(t -> Boolean.FALSE.equals(t.sameAsReference()));
        if (!same) {
            w.println("dbsync: DIFFERENT bench queries: a database answered differently from PostgreSQL (see the report)");
            return ExitCodes.DIFFERENCES;
        }
        w.println("dbsync: OK bench queries");
        return ExitCodes.OK;
    }
}
