package dev.dbsync.cli.bench;

import dev.dbsync.cli.datagen.ConnectionSource;
import dev.dbsync.cli.datagen.EcommerceGenerator;
import dev.dbsync.cli.datagen.GenerationReport;
import dev.dbsync.cli.demo.Environment;
import dev.dbsync.cli.demo.Target;
import dev.dbsync.engine.Connectors;
import java.io.PrintWriter;

/** What both benchmarks share: the servers and the generated source data. */
final class BenchSetup {

    final Connectors connectors;
    final Environment env;
    final GenerationReport generation;

    private BenchSetup(Connectors connectors, Environment env, GenerationReport generation) {
        this.connectors = connectors;
        this.env = env;
        this.generation = generation;
    }

    static BenchSetup prepare(Environment.Options options, long orders, int parallelism, PrintWriter out) throws Exception {
        Connectors connectors = Connectors.load();
        Environment env = Environment.resolve(options, "bench", connectors, out);
        out.printf("%n== Generating the e-commerce data set (%,d orders)%n", orders);
        out.flush();
        GenerationReport g = EcommerceGenerator.builder().scale(orders).parallelism(parallelism).replaceExisting(true)
                .build().generate(ConnectionSource.of(env.sourceUrl(), env.user(), env.password()));
        out.print(g);
        out.flush();
        return new BenchSetup(connectors, env, g);
    }

    /** The server's own version string, asked of the server. */
    static String version(Target t) {
        try (QueryRunner q = QueryRunner.open(t)) {
            return q.version();
        } catch (Exception e) {
            return t.kind() + " (version query failed: " + e.getMessage() + ")";
        }
    }

    static java.util.Properties props(Target t) {
        java.util.Properties p = new java.util.Properties();
        if (t.user() != null) {
            p.setProperty("user", t.user());
        }
        if (t.password() != null) {
            p.setProperty("password", t.password());
        }
        return p;
    }
}
