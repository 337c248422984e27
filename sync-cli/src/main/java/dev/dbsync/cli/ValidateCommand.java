package dev.dbsync.cli;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.PipelineConfig;
import dev.dbsync.engine.TableSync;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dbsync validate pipeline.yaml}: checks a pipeline file completely without connecting anywhere. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Checks a pipeline file without connecting: sections, connector names, every setting's type "
                + "and value, tables and engine settings.",
                "Prints 'dbsync: OK …' and exits 0, or names the offending key ('invalid setting 'sink.url': …') and exits 2."},
        footer = ExitCodes.TABLE)
final class ValidateCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PIPELINE", description = "pipeline file (.yaml, .yml, .json or .properties)")
    Path file;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PipelineConfig config = PipelineConfig.load(file);
        Connectors connectors = Connectors.load();
        config.validate(connectors);
        for (Map.Entry<String, Object> e : config.describe(connectors).entrySet()) {
            out.printf(Locale.ROOT, "  %-12s %s%n", e.getKey(), e.getValue());
        }
        for (TableSync t : config.tables()) {
            out.printf(Locale.ROOT, "  table        %s -> %s (%s%s%s)%n", t.spec().table(), t.target(),
                    t.strategy().name().toLowerCase(Locale.ROOT),
                    t.spec().hasCursor() ? ", cursor " + String.join(",", t.spec().cursorColumns()) : "",
                    t.spec().softDeleteColumn() != null ? ", soft delete " + t.spec().softDeleteColumn() : "");
        }
        out.printf(Locale.ROOT, "dbsync: OK %s is valid: pipeline %s, %s -> %s, %d tables%n", file, config.pipeline(),
                config.sourceType(), config.sinkType(), config.tables().size());
        out.flush();
        return ExitCodes.OK;
    }
}
