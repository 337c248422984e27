package dev.dbsync.examples.cli;

import dev.dbsync.config.ConfigKey;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.PipelineConfig;
import dev.dbsync.engine.TableSync;
import dev.dbsync.examples.verify.Verifier;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.TableSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
                "Prints 'dbsync: OK …' (exit 0) or 'dbsync: DIFFERENT …' (exit 3)."},
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

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PipelineConfig config = PipelineConfig.load(file);
        Connectors connectors = Connectors.load();
        config.validate(connectors);
        String readerType = targetType != null ? targetType : config.sinkType();
        SourceFactory readerFactory;
        try {
            readerFactory = connectors.source(readerType);
        } catch (ConfigException e) {
            throw new ConfigException("--target-type", "no source connector '" + readerType
                    + "' can read the target; name one with --target-type (" + e.getMessage() + ")");
        }
        Map<String, Object> readerConfig = targetConfig(readerFactory, config.sinkSettings(), targetSettings);
        int differing = 0;
        try (Source source = connectors.createSource(config.sourceType(), config.sourceSettings());
             Source target = createTarget(connectors, readerType, readerConfig)) {
            Verifier verifier = new Verifier(source, target, chunkKeys, maxKeys);
            out.printf(Locale.ROOT, "%-28s %-24s %12s %12s %8s %8s  %s%n", "table", "target", "source rows",
                    "target rows", "chunks", "differ", "result");
            for (TableSync t : config.tables()) {
                if (only != null && !only.contains(t.spec().table())) {
                    continue;
                }
                Verifier.TableResult r = verifier.verify(t.spec(), TableSpec.of(t.target()));
                out.printf(Locale.ROOT, "%-28s %-24s %12d %12d %8d %8d  %s%n", r.table(), r.target(), r.sourceRows(),
                        r.targetRows(), r.chunks(), r.differingChunks(), r.equal() ? "equal" : r.differences() + " keys differ");
                if (!r.equal()) {
                    differing++;
                    printKeys(out, "missing in target", r.missing(), r.differences());
                    printKeys(out, "only in target", r.extra(), r.differences());
                    printKeys(out, "values differ", r.different(), r.differences());
                }
                out.flush();
            }
        }
        if (differing == 0) {
            out.printf(Locale.ROOT, "dbsync: OK pipeline %s: source and target are equal%n", config.pipeline());
            out.flush();
            return ExitCodes.OK;
        }
        out.printf(Locale.ROOT, "dbsync: DIFFERENT pipeline %s: %d tables differ%n", config.pipeline(), differing);
        out.flush();
        return ExitCodes.DIFFERENCES;
    }

    private static Source createTarget(Connectors connectors, String type, Map<String, Object> config) {
        try {
            return connectors.createSource(type, config);
        } catch (ConfigException e) {
            throw new ConfigException("--target-set", "the target reader '" + type + "' needs other settings: "
                    + e.getMessage());
        }
    }

    /** The sink settings the reader declares, then the explicit ones. */
    static Map<String, Object> targetConfig(SourceFactory reader, Map<String, Object> sink, Map<String, String> explicit) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (ConfigKey k : reader.configDef().keys()) {
            if (sink.containsKey(k.name())) {
                out.put(k.name(), sink.get(k.name()));
            }
        }
        out.putAll(explicit);
        return out;
    }

    private static void printKeys(PrintWriter out, String what, List<String> keys, long total) {
        if (!keys.isEmpty()) {
            out.printf(Locale.ROOT, "    %s: %s%s%n", what, String.join("; ", keys.stream().map(k -> "[" + k + "]").toList()),
                    keys.size() < total ? " …" : "");
        }
    }
}
