package dev.dbsync.cli.demo;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.dbsync.engine.Connectors;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

/**
 * The databases used only when given: MongoDB (or the in-process imitation of its wire protocol), Elasticsearch,
 * Redis and Neo4j. Each run writes under names of its own (a database, an index prefix, a key prefix, labels), so
 * runs never see each other's rows and nothing is dropped on a server that was given.
 */
final class OptionalTargets {

    /** The display name of the imitation: its figures say nothing about MongoDB. */
    static final String MONGO_IMITATION = "MongoDB imitation";

    private static MongoServer imitation;
    private static String imitationUrl;

    private OptionalTargets() {
    }

    static void add(Environment.Options o, String tag, Environment.Scope scope, Connectors connectors, PrintWriter out,
                    List<Target> targets, List<String> skipped) {
        String database = "dbsync_" + tag;
        if (o.mongoUrl() != null || o.mongoImitation()) {
            if (!Environment.has(connectors, "mongo")) {
                skipped.add("MongoDB: skipped (the mongo connector is not on the class path)");
            } else if (o.mongoUrl() != null) {
                targets.add(new Target("MongoDB", "mongo", Environment.settings("url", o.mongoUrl(), "database", database),
                        "MongoDB at " + hidePassword(o.mongoUrl()) + ", database " + database, o.mongoUrl(), null, null));
            } else {
                String url = localImitation();
                targets.add(new Target(MONGO_IMITATION, "mongo", Environment.settings("url", url, "database", database),
                        "mongo-java-server 1.47 in this JVM at " + url + ": an imitation of MongoDB's wire protocol, "
                                + "NOT MongoDB (its figures say nothing about MongoDB's speed)", url, null, null));
            }
            out.println(targets.get(targets.size() - 1).name() + ": " + targets.get(targets.size() - 1).kind());
        } else {
            skipped.add("MongoDB: skipped (no server runs locally; give --mongo-url, or --mongo-imitation for an "
                    + "in-process imitation)");
        }
        if (scope == Environment.Scope.DEMO) {
            for (String[] d : new String[][] {{"Elasticsearch", o.elasticUrl()}, {"Redis", o.redisUrl()},
                    {"Neo4j", o.neo4jUrl()}}) {
                if (d[1] != null) {
                    skipped.add(d[0] + ": not used by the demo (the benchmarks use it)");
                }
            }
            return;
        }
        if (o.elasticUrl() != null && present(connectors, "elasticsearch", "Elasticsearch", skipped)) {
            String prefix = database + "_";
            targets.add(new Target("Elasticsearch", "elasticsearch", Environment.settings("url", o.elasticUrl(),
                    "user", o.elasticUser(), "password", o.elasticPassword(), "index.prefix", prefix,
                    "index.replicas", 0), "Elasticsearch at " + o.elasticUrl() + ", indexes " + prefix + "*",
                    o.elasticUrl(), o.elasticUser(), o.elasticPassword()));
            out.println("Elasticsearch: " + targets.get(targets.size() - 1).kind());
        } else if (o.elasticUrl() == null) {
            skipped.add("Elasticsearch: skipped (give --elastic-url)");
        }
        if (o.redisUrl() != null && present(connectors, "redis", "Redis", skipped)) {
            // the secondary indexes the Redis questions use: orders of a customer, latest products
            targets.add(new Target("Redis", "redis", Environment.settings("url", o.redisUrl(), "key.prefix", database,
                    "index.sets", List.of("orders=customer_id"), "index.sorted", List.of("products=updated_at")),
                    "Redis at " + hidePassword(o.redisUrl()) + ", keys " + database + ":*", o.redisUrl(), null, null));
            out.println("Redis: " + targets.get(targets.size() - 1).kind());
        } else if (o.redisUrl() == null) {
            skipped.add("Redis: skipped (give --redis-url)");
        }
        if (o.neo4jUrl() != null && present(connectors, "neo4j", "Neo4j", skipped)) {
            String t = graphTag(tag);
            // labels and the join table's relationship type of this run only (the relationship's key constraint is
            // per type, so two runs must not share it)
            targets.add(new Target("Neo4j", "neo4j", Environment.settings("url", o.neo4jUrl(), "user", o.neo4jUser(),
                    "password", o.neo4jPassword(), "labels", List.of("customers=Customer" + t, "products=Product" + t,
                            "orders=Order" + t, "categories=Category" + t),
                    "join.tables", List.of("order_items=CONTAINS" + t.toUpperCase(Locale.ROOT))),
                    "Neo4j at " + o.neo4jUrl() + ", labels *" + t, o.neo4jUrl(), o.neo4jUser(), o.neo4jPassword()));
            out.println("Neo4j: " + targets.get(targets.size() - 1).kind());
        } else if (o.neo4jUrl() == null) {
            skipped.add("Neo4j: skipped (give --neo4j-url)");
        }
    }

    /** The suffix of this run's labels and relationship type, e.g. {@code _bench_1x2y}. */
    static String graphTag(String tag) {
        return "_" + tag;
    }

    private static boolean present(Connectors connectors, String type, String name, List<String> skipped) {
        if (Environment.has(connectors, type)) {
            return true;
        }
        skipped.add(name + ": skipped (the " + type + " connector is not on the class path)");
        return false;
    }

    /** The imitation of this JVM, started on first use and stopped when the JVM exits. */
    static synchronized String localImitation() {
        if (imitation == null) {
            MongoServer server = new MongoServer(new MemoryBackend());
            InetSocketAddress address = server.bind();
            imitation = server;
            imitationUrl = "mongodb://127.0.0.1:" + address.getPort();
            Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "mongo-imitation-stop"));
        }
        return imitationUrl;
    }

    /** A URL for reports: a password in it is replaced by {@code ***}. */
    static String hidePassword(String url) {
        return url.replaceAll("(//[^:/@]*:)[^@/]*@", "$1***@");
    }
}
