package dev.dbsync.cli;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.PipelineConfig;
import dev.dbsync.engine.SyncEngine;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dbsync drop pipeline.yaml --yes}: clears a pipeline's checkpoints and releases its change feed. */
@Command(name = "drop", mixinStandardHelpOptions = true,
        description = {"Drops a pipeline: clears its checkpoints and releases what its change feed holds on the source "
                + "(PostgreSQL: the replication slot, which retains WAL until dropped, and the publication when no other "
                + "slot of the database may use it). Target tables are left as they are; the next run snapshots afresh.",
                "Refused while another process runs the pipeline or streams from its slot. Needs --yes."},
        footer = ExitCodes.TABLE)
final class DropCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PIPELINE", description = "pipeline file (.yaml, .yml, .json or .properties)")
    Path file;

    @Option(names = "--yes", description = "really drop (without it, nothing is changed)")
    boolean yes;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PipelineConfig config = PipelineConfig.load(file);
        Connectors connectors = Connectors.load();
        config.validate(connectors);
        if (!yes) {
            throw new CommandLine.ParameterException(spec.commandLine(), "drop clears the checkpoints of pipeline '"
                    + config.pipeline() + "' (" + config.tables().size() + " tables) and its change feed's slot; add --yes");
        }
        try (SyncEngine engine = config.toEngine(connectors).build()) {
            List<String> done = engine.drop();
            for (String line : done) {
                out.printf(Locale.ROOT, "  %s%n", line);
            }
            out.printf(Locale.ROOT, "dbsync: OK pipeline %s dropped%n", config.pipeline());
        }
        out.flush();
        return ExitCodes.OK;
    }
}
