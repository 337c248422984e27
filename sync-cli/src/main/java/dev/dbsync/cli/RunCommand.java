package dev.dbsync.cli;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.PipelineConfig;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableReport;
import dev.dbsync.spi.ErrorType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dbsync run pipeline.yaml [--watch]}: one sync run, or continuous mode until SIGTERM or Ctrl-C. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs a pipeline once (every table brought up to date), or continuously with --watch.",
                "The last output line starts with 'dbsync: OK' or 'dbsync: FAILED'."},
        footer = ExitCodes.TABLE)
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PIPELINE", description = "pipeline file (.yaml, .yml, .json or .properties)")
    Path file;

    @Option(names = "--watch", description = "keep running: poll every engine.poll.interval and stream CDC tables, "
            + "until SIGTERM or Ctrl-C (graceful stop: the current batch completes and is checkpointed)")
    boolean watch;

    @Option(names = "--duration", description = "with --watch: stop after this long (e.g. 10m, PT1H); default: until signalled")
    String duration;

    @Option(names = "--no-progress", negatable = true, description = "print a progress line per table (default: on)")
    boolean progress = true;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PipelineConfig config = PipelineConfig.load(file);
        Connectors connectors = Connectors.load();
        config.validate(connectors);
        Duration limit = duration == null ? null : Durations.parse("--duration", duration);
        SyncEngine.Builder builder = config.toEngine(connectors);
        if (progress) {
            builder.listener(ProgressBar.console(out));
        }
        try (SyncEngine engine = builder.build()) {
            if (!watch) {
                SyncReport report = engine.runOnce();
                return finish(out, report);
            }
            return watch(out, engine, limit);
        }
    }

    private int watch(PrintWriter out, SyncEngine engine, Duration limit) throws InterruptedException {
        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                // the JVM exits when hooks return: wait until the engine saved its last checkpoint
                stopped.await(90, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "dbsync-graceful-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        out.printf(Locale.ROOT, "dbsync: watching pipeline %s (Ctrl-C or SIGTERM stops gracefully)%n", engine.pipeline());
        out.flush();
        try {
            engine.start();
            if (limit == null) {
                stopRequested.await();
            } else {
                stopRequested.await(limit.toMillis(), TimeUnit.MILLISECONDS);
            }
            engine.stop();
            SyncReport last = engine.lastReport();
            out.println("dbsync: stopped");
            return last == null ? ExitCodes.OK : finish(out, last);
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook is running and waits for us
            }
        }
    }

    /** Prints the report and the status line; returns the exit code. */
    static int finish(PrintWriter out, SyncReport report) {
        out.println(report.toText());
        long failedTables = report.tables().stream().filter(t -> !t.succeeded()).count();
        List<dev.dbsync.engine.SinkReport> behind = report.sinks().stream().filter(k -> !k.succeeded()).toList();
        if (failedTables == 0 && !behind.isEmpty()) {
            // the tables went on for the other sinks; a sink left behind is still a failed run (exit 4: unreachable)
            out.printf(Locale.ROOT, "dbsync: FAILED pipeline %s: %d of %d sinks behind: %s%n", report.pipeline(), behind.size(),
                    report.sinks().size(), String.join("; ", behind.stream().map(k -> k.sink() + " " + k.state() + ": " + k.error())
                            .toList()));
            out.flush();
            return ExitCodes.EXTERNAL;
        }
        if (failedTables == 0) {
            out.printf(Locale.ROOT, "dbsync: OK pipeline %s: %d tables, read %d, upserted %d, deleted %d, failed %d, in %.1f s%n",
                    report.pipeline(), report.tables().size(), report.rowsRead(), report.upserted(), report.deleted(),
                    report.failed(), report.duration().toMillis() / 1000.0);
            out.flush();
            return ExitCodes.OK;
        }
        StringBuilder which = new StringBuilder();
        for (TableReport t : report.tables()) {
            if (!t.succeeded()) {
                which.append(which.length() == 0 ? "" : "; ").append(t.table()).append(": ").append(t.error());
            }
        }
        out.printf(Locale.ROOT, "dbsync: FAILED pipeline %s: %d of %d tables failed: %s%n", report.pipeline(),
                failedTables, report.tables().size(), which);
        out.flush();
        return exitCode(report);
    }

    /**
     * {@link ExitCodes#EXTERNAL} when every failed table failed because a database could not be reached or refused
     * (retries exhausted), {@link ExitCodes#CONFIG} when every one failed on the pipeline's settings (a missing
     * cursor column), else {@link ExitCodes#TABLE_FAILED}.
     */
    static int exitCode(SyncReport report) {
        java.util.Set<ErrorType> types = java.util.EnumSet.noneOf(ErrorType.class);
        for (TableReport t : report.tables()) {
            if (!t.succeeded()) {
                types.add(t.errorType());
            }
        }
        if (types.isEmpty()) {
            return ExitCodes.OK;
        }
        if (types.equals(java.util.EnumSet.of(ErrorType.EXTERNAL))) {
            return ExitCodes.EXTERNAL;
        }
        if (types.equals(java.util.EnumSet.of(ErrorType.CONFIG))) {
            return ExitCodes.CONFIG;
        }
        return ExitCodes.TABLE_FAILED;
    }
}
