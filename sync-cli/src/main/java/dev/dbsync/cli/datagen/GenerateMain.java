package dev.dbsync.cli.datagen;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Command line for the data generators; prints the per-table rows/s.
 *
 * <pre>
 * GenerateMain --url jdbc:postgresql://localhost/shop --user app --orders 100000 --parallelism 2 --replace
 * GenerateMain --set people --users 1000000 --dry-run
 * </pre>
 *
 * Exit code 0 on success, 1 when generation fails, 2 on bad arguments.
 */
@Command(name = "dbsync-generate", mixinStandardHelpOptions = true,
        description = "Generates the e-commerce or people data set in PostgreSQL with parallel COPY.")
public final class GenerateMain implements Callable<Integer> {

    @Option(names = "--set", defaultValue = "ecommerce", description = "ecommerce or people (default ${DEFAULT-VALUE})")
    String set;

    @Option(names = "--url", description = "jdbc:postgresql URL of the target database; required unless --dry-run")
    String url;

    @Option(names = "--user", description = "database user")
    String user;

    @Option(names = "--password", description = "database password", interactive = false)
    String password;

    @Option(names = "--orders", defaultValue = "100000", description = "orders (e-commerce scale, default ${DEFAULT-VALUE})")
    long orders;

    @Option(names = "--users", defaultValue = "100000", description = "users (people scale, default ${DEFAULT-VALUE})")
    long users;

    @Option(names = "--seed", defaultValue = "42", description = "seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--parallelism", description = "connections used to load (default: available processors)")
    Integer parallelism;

    @Option(names = "--replace", description = "drop the data set's tables first if they exist")
    boolean replace;

    @Option(names = "--dry-run", description = "generate and discard the rows: measures the generator alone")
    boolean dryRun;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command and returns its exit code instead of exiting. */
    public static int run(String... args) {
        return new CommandLine(new GenerateMain()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (!dryRun && url == null) {
            System.err.println("--url is required unless --dry-run is given");
            return 2;
        }
        int threads = parallelism != null ? parallelism : Runtime.getRuntime().availableProcessors();
        long start = System.nanoTime();
        GenerationReport report;
        switch (set) {
            case "ecommerce" -> {
                EcommerceGenerator generator = EcommerceGenerator.builder().scale(orders).seed(seed)
                        .parallelism(threads).replaceExisting(replace).build();
                report = dryRun ? generator.dryRun() : generator.generate(url, user, password);
            }
            case "people" -> {
                PeopleGenerator generator = PeopleGenerator.builder().users(users).seed(seed)
                        .parallelism(threads).replaceExisting(replace).build();
                report = dryRun ? generator.dryRun() : generator.generate(url, user, password);
            }
            default -> {
                System.err.println("--set must be ecommerce or people, got " + set);
                return 2;
            }
        }
        System.out.print(report);
        System.out.printf(java.util.Locale.ROOT, "wall time including pools and DDL: %.2f s%n",
                (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
