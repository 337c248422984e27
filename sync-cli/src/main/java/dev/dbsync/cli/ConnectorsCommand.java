package dev.dbsync.cli;

import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigKey;
import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.CheckpointStoreFactory;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.SourceFactory;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code dbsync connectors}: what ServiceLoader found on the class path, with every setting. */
@Command(name = "connectors", mixinStandardHelpOptions = true,
        description = "Lists the sources, sinks and checkpoint stores found on the class path, with each setting's "
                + "type, default, documentation and whether it is secret.")
final class ConnectorsCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Connectors c = Connectors.load();
        out.println("Sources:");
        for (SourceFactory f : c.sources()) {
            print(out, f.name(), f.description(), f.getClass().getName(), f.configDef());
        }
        out.println("Sinks:");
        for (SinkFactory f : c.sinks()) {
            print(out, f.name(), f.description(), f.getClass().getName(), f.configDef());
        }
        out.println("Checkpoint stores:");
        for (CheckpointStoreFactory f : c.checkpointStores()) {
            print(out, f.name(), f.description(), f.getClass().getName(), f.configDef());
        }
        out.println("  sink                   the sink's own store (pipeline files: checkpoints: { type: sink })");
        out.flush();
        return ExitCodes.OK;
    }

    private static void print(PrintWriter out, String name, String description, String type, ConfigDef def) {
        out.printf(Locale.ROOT, "  %-22s %s%n  %-22s (%s)%n", name, description, "", type);
        for (ConfigKey k : def.keys()) {
            String presence = k.required() ? "required" : k.defaultValue() == null ? "optional" : "default " + (k.defaultValue().isEmpty() ? "\"\"" : k.defaultValue());
            out.printf(Locale.ROOT, "      %-28s %-8s %-22s %s%s%n", k.name(), k.type().name().toLowerCase(Locale.ROOT),
                    presence, k.secret() ? "[secret] " : "", k.doc());
        }
    }
}
