package dev.dbsync.cli;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.PipelineConfig;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.verify.TableVerification;
import dev.dbsync.verify.Verifier;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dbsync verify pipeline.yaml}: compares every table of a pipeline between source and target.
 *
 * <p>The target is read by a <em>source</em> connector of the target database: by default the source connector
 * with the sink's name (postgres, clickhouse and crate offer both), given the sink's settings that this source
 * connector also declares (url, user, password, schema, database, …). {@code --target-type} and
 * {@code --target-set key=value} choose another reader or add settings.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Compares each table of a pipeline between source and target: live row counts and checksums "
                + "per chunk of keys, then lists the differing keys.",
                "The target is read with the source connector named like the sink, given the sink settings it "
                        + "declares (override with --target-type / --target-set).",
                "Values are compared in the form the sink stores them; rows the sync dead-letters (a value the "
                        + "sink refuses, a row the source cannot read) are listed as expected differences.",
                "Prints 'dbsync: OK …' (exit 0), 'dbsync: DIFFERENT …' (exit 3) or 'dbsync: FAILED …' when a table "
                        + "could not be verified (exit 1)."},
        footer = ExitCodes.TABLE)
final class VerifyCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PIPELINE", description = "pipeline file (.yaml, .yml, .json or .properties)")
    Path file;

    @Option(names = "--target-type", description = "source connector that reads the target (default: the sink's type)")
    String targetType;

    @Option(names = "--target-set", paramLabel = "KEY=VALUE", description = "a setting of the target reader (repeatable)")
    Map<String, String> targetSettings = new LinkedHashMap<>();

    @Option(names = "--chunk-keys", defaultValue = "1000", description = "about this many keys per checksummed chunk (default ${DEFAULT-VALUE})")
    int chunkKeys;

    @Option(names = "--max-keys", defaultValue = "20", description = "most differing keys listed per table and kind (default ${DEFAULT-VALUE})")
    int maxKeys;

    @Option(names = "--table", description = "verify only these source tables (repeatable)")
    List<String> only;

    @Option(names = "--sink", description = "a pipeline with several sinks: verify only these (repeatable; default: every sink)")
    List<String> onlySinks;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PipelineConfig all = PipelineConfig.load(file);
        Connectors connectors = Connectors.load();
        all.validate(connectors);
        int differing = 0;
        int failed = 0;
        if (all.sinkNames().isEmpty()) {
            int[] r = verify(out, all, connectors);
            differing = r[0];
            failed = r[1];
        } else {
            // every sink of the pipeline is compared with the source on its own
            for (String name : onlySinks == null ? all.sinkNames() : onlySinks) {
                out.printf(Locale.ROOT, "sink %s:%n", name);
                int[] r = verify(out, all.forSink(name), connectors);
                differing += r[0];
                failed += r[1];
            }
        }
        PipelineConfig config = all;
        if (failed > 0) {
            out.printf(Locale.ROOT, "dbsync: FAILED pipeline %s: %d tables could not be verified, %d differ%n",
                    config.pipeline(), failed, differing);
            out.flush();
            return ExitCodes.TABLE_FAILED;
        }
        if (differing == 0) {
            out.printf(Locale.ROOT, "dbsync: OK pipeline %s: source and target%s are equal%n", config.pipeline(),
                    all.sinkNames().isEmpty() ? "" : "s");
            out.flush();
            return ExitCodes.OK;
        }
        out.printf(Locale.ROOT, "dbsync: DIFFERENT pipeline %s: %d tables differ%n", config.pipeline(), differing);
        out.flush();
        return ExitCodes.DIFFERENCES;
    }

    /** Verifies the tables of a pipeline with one sink; returns {differing, failed}. */
    private int[] verify(PrintWriter out, PipelineConfig config, Connectors connectors) {
        Verifier.Builder builder;
        try {
            builder = Verifier.forPipeline(config, connectors, targetType, targetSettings);
        } catch (ConfigException e) {
            // name the command line's options rather than the library's keys
            String key = "verify.target.type".equals(e.key()) ? "--target-type"
                    : "verify.target.settings".equals(e.key()) ? "--target-set" : e.key();
            throw new ConfigException(key, e.getMessage().replaceFirst("^invalid setting '[^']*': ", ""));
        }
        int differing = 0;
        int failed = 0;
        try (Verifier verifier = builder.chunkKeys(chunkKeys).maxKeys(maxKeys).build()) {
            out.printf(Locale.ROOT, "%-28s %-24s %12s %12s %8s %8s  %s%n", "table", "target", "source rows",
                    "target rows", "chunks", "differ", "result");
            for (TableSync t : config.tables()) {
                if (only != null && !only.contains(t.spec().table())) {
                    continue;
                }
                TableVerification r = verifier.verify(t.spec(), t.target(), Set.of());
                if (!r.verified()) {
                    failed++;
                    out.printf(Locale.ROOT, "%-28s %-24s %12s %12s %8s %8s  NOT VERIFIED: %s%n", r.table(), r.target(),
                            "-", "-", "-", "-", r.error());
                    out.flush();
                    continue;
                }
                String result = r.equal() ? "equal" : r.differences() + " keys differ";
                if (r.expectedDifferences() > 0) {
                    result += String.format(Locale.ROOT, " (%d expected: rows dead-lettered by the sync)", r.expectedDifferences());
                }
                out.printf(Locale.ROOT, "%-28s %-24s %12d %12d %8d %8d  %s%n", r.table(), r.target(), r.sourceRows(),
                        r.targetRows(), r.chunks(), r.differingChunks(), result);
                if (!r.equal()) {
                    differing++;
                    printKeys(out, "missing in target", r.missing(), r.differences());
                    printKeys(out, "only in target", r.extra(), r.differences());
                    printKeys(out, "values differ", r.different(), r.differences());
                }
                if (!r.expected().isEmpty()) {
                    out.printf(Locale.ROOT, "    expected (dead-lettered by the sync): %s%s%n",
                            String.join("; ", r.expected().stream().map(x -> "[" + x.key() + "] "
                                    + (x.column() == null ? "" : x.column() + ": ") + x.reason()).toList()),
                            r.expected().size() < r.expectedDifferences() ? " …" : "");
                }
                out.flush();
            }
        }
        return new int[] {differing, failed};
    }

    private static void printKeys(PrintWriter out, String what, List<String> keys, long total) {
        if (!keys.isEmpty()) {
            out.printf(Locale.ROOT, "    %s: %s%s%n", what, String.join("; ", keys.stream().map(k -> "[" + k + "]").toList()),
                    keys.size() < total ? " …" : "");
        }
    }
}
