package dev.dbsync.cli;

import dev.dbsync.cli.datagen.GenerateMain;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * The {@code dbsync} command line: {@code run}, {@code validate}, {@code verify}, {@code connectors},
 * {@code demo}, {@code bench} and {@code generate}. Built as the runnable jar {@code sync-cli/target/dbsync.jar}:
 *
 * <pre>
 * java -jar sync-cli/target/dbsync.jar demo
 * java -jar sync-cli/target/dbsync.jar run pipeline.yaml --watch
 * </pre>
 *
 * Exit codes are listed in {@link ExitCodes} and in {@code --help}.
 */
@Command(name = "dbsync", mixinStandardHelpOptions = true, version = "dbsync 0.1.0-SNAPSHOT",
        description = "Keeps other databases in sync with a source database.",
        subcommands = {RunCommand.class, ValidateCommand.class, VerifyCommand.class, DropCommand.class, ConnectorsCommand.class,
                DemoCommand.class, BenchCommand.class, CommandLine.HelpCommand.class},
        footer = ExitCodes.TABLE)
public final class DbsyncCli implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // the commands print their own reports: keep libraries' and the engine's logs to warnings unless asked
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.setProperty("java.awt.headless", "true");
        System.exit(run(args));
    }

    /** Runs a command and returns its exit code instead of exiting. */
    public static int run(String... args) {
        return commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
    }

    /** The command line with its output streams, exit codes and error handling set up (tests capture both). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new DbsyncCli());
        cl.addSubcommand("generate", new CommandLine(new GenerateMain())
                .setCommandName("generate"));
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            int code = ExitCodes.of(e);
            line.getErr().println("dbsync: error: " + message(e));
            if (code == ExitCodes.INTERNAL) {
                e.printStackTrace(line.getErr());
            }
            line.getErr().flush();
            return code;
        });
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("dbsync: error: " + e.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
            c.getErr().flush();
            return ExitCodes.CONFIG;
        });
        return cl;
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getName() : m;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return ExitCodes.CONFIG;
    }
}
