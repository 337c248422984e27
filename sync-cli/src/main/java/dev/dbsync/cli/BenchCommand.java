package dev.dbsync.cli;

import picocli.CommandLine.Command;

/** {@code dbsync bench queries|writes}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Cross-database benchmarks on the same synced e-commerce data.",
        subcommands = {BenchQueriesCommand.class, BenchWritesCommand.class})
final class BenchCommand {
}
