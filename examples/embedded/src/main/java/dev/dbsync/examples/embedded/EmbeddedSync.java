package dev.dbsync.examples.embedded;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.DeadLetterHandler;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.verify.Verifier;
import dev.dbsync.verify.VerifyReport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies PostgreSQL tables into another PostgreSQL database once, as a job run from cron would, then checks that
 * the target holds the same rows. Run it with the settings in environment variables:
 *
 * <pre>
 * SOURCE_URL=jdbc:postgresql://db:5432/shop SOURCE_USER=sync SOURCE_PASSWORD=… \
 * TARGET_URL=jdbc:postgresql://reporting:5432/shop TARGET_USER=sync TARGET_PASSWORD=… \
 * TABLES=public.orders,public.customers STATE_DIR=/var/lib/dbsync \
 * java -cp … dev.dbsync.examples.embedded.EmbeddedSync
 * </pre>
 *
 * Each table is synced incrementally by its {@code updated_at} column (tie-broken by the key), with rows whose
 * {@code is_deleted} is true applied as deletes; the checkpoints live in {@code STATE_DIR}, so the next run
 * continues where this one stopped. Exit code 0 when the run succeeded and the target equals the source, 1
 * otherwise.
 */
public final class EmbeddedSync {

    /**
     * What one run needs.
     *
     * @param source   settings of the {@code postgres} source connector (url, user, password, …)
     * @param target   settings of the {@code postgres} sink connector
     * @param tables   source tables, e.g. {@code public.orders}
     * @param stateDir where checkpoints are kept between runs
     */
    public record Settings(Map<String, Object> source, Map<String, Object> target, List<String> tables, Path stateDir) {

        /** Reads the settings from the environment variables named in the class documentation. */
        public static Settings fromEnvironment(Map<String, String> env) {
            return new Settings(connection(env, "SOURCE"), connection(env, "TARGET"),
                    List.of(required(env, "TABLES").split("\\s*,\\s*")),
                    Path.of(env.getOrDefault("STATE_DIR", "dbsync-state")));
        }

        private static Map<String, Object> connection(Map<String, String> env, String prefix) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("url", required(env, prefix + "_URL"));
            if (env.get(prefix + "_USER") != null) {
                m.put("user", env.get(prefix + "_USER"));
            }
            if (env.get(prefix + "_PASSWORD") != null) {
                m.put("password", env.get(prefix + "_PASSWORD"));
            }
            return m;
        }

        private static String required(Map<String, String> env, String name) {
            String v = env.get(name);
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException("environment variable " + name + " is not set");
            }
            return v;
        }
    }

    private EmbeddedSync() {
    }

    public static void main(String[] args) {
        System.exit(run(Settings.fromEnvironment(System.getenv()), System.out));
    }

    /** One sync run, then a verification; prints both reports and returns the exit code. */
    public static int run(Settings settings, PrintStream out) {
        // every connector on the class path; here sync-postgres
        Connectors connectors = Connectors.load();
        SyncEngine.Builder builder = SyncEngine.builder()
                .pipeline("embedded-example")
                .source(connectors.createSource("postgres", settings.source()))
                .sink(connectors.createSink("postgres", settings.target()))
                .checkpointStore(CheckpointStores.file(settings.stateDir()))
                // rows the target refuses are logged and skipped, up to 100, then the run fails
                .deadLetterHandler(DeadLetterHandler.logAndSkip(100));
        for (String table : settings.tables()) {
            builder.table(TableSync.incremental(spec(table)));
        }
        SyncReport report;
        // the engine owns the source, the sink and the store: closing it closes them
        try (SyncEngine engine = builder.build()) {
            report = engine.runOnce();
        }
        out.println(report.toText());
        if (!report.succeeded()) {
            return 1;
        }

        // verification reads both sides again, the target through the source connector of the same database;
        // the sink says in which form the target holds each value
        VerifyReport verified;
        try (Source source = connectors.createSource("postgres", settings.source());
             Source target = connectors.createSource("postgres", settings.target());
             Sink sink = connectors.createSink("postgres", settings.target())) {
            Verifier.Builder check = Verifier.builder().source(source).target(target).sink(sink);
            for (String table : settings.tables()) {
                check.table(spec(table));
            }
            verified = check.build().run();
        }
        out.print(verified.toText());
        return verified.equal() ? 0 : 1;
    }

    private static TableSpec spec(String table) {
        return TableSpec.of(table).withCursor("updated_at").withSoftDelete("is_deleted");
    }
}
