package dev.dbsync.cli;

import dev.dbsync.cli.demo.Environment;
import dev.dbsync.spi.ConfigException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * Where the demo and the benchmarks find their databases. Nothing given: embedded PostgreSQL, and ClickHouse
 * started locally (chdb under Node.js, fetched when missing). {@code --config FILE} reads the same settings from
 * a properties file (keys = option names without dashes, e.g. {@code postgres-url=jdbc:postgresql://db/shop});
 * options win. MongoDB, Elasticsearch, Redis and Neo4j are used only when their URL is given (MongoDB also as the
 * in-process imitation with {@code --mongo-imitation}).
 */
final class ServerOptions {

    private static final Set<String> KEYS = Set.of("postgres-url", "postgres-user", "postgres-password",
            "postgres-target-url", "clickhouse-url", "clickhouse-user", "clickhouse-password", "clickhouse-database",
            "no-clickhouse", "crate-url", "crate-user", "crate-password", "mongo-url", "mongo-imitation", "elastic-url",
            "elastic-user", "elastic-password", "redis-url", "neo4j-url", "neo4j-user", "neo4j-password");

    @Option(names = "--config", paramLabel = "FILE", description = "properties file with any of the server options below")
    Path config;

    @Option(names = "--postgres-url", description = "source PostgreSQL (jdbc:postgresql://…); its e-commerce tables are REPLACED. Default: embedded PostgreSQL")
    String postgresUrl;
    @Option(names = "--postgres-user", description = "PostgreSQL user")
    String postgresUser;
    @Option(names = "--postgres-password", description = "PostgreSQL password")
    String postgresPassword;
    @Option(names = "--postgres-target-url", description = "target PostgreSQL database; default: a database created on the source's server")
    String postgresTargetUrl;
    @Option(names = "--clickhouse-url", description = "ClickHouse HTTP URL (http://host:8123); default: started locally (chdb under Node.js, fetched when missing)")
    String clickhouseUrl;
    @Option(names = "--clickhouse-user", description = "ClickHouse user")
    String clickhouseUser;
    @Option(names = "--clickhouse-password", description = "ClickHouse password")
    String clickhousePassword;
    @Option(names = "--clickhouse-database", description = "ClickHouse database (created when missing)")
    String clickhouseDatabase;
    @Option(names = "--no-clickhouse", description = "leave ClickHouse out")
    boolean noClickhouse;
    @Option(names = "--crate-url", description = "CrateDB (crate://host:5432 or jdbc:postgresql://host:5432/doc); no local CrateDB otherwise")
    String crateUrl;
    @Option(names = "--crate-user", description = "CrateDB user (default crate)")
    String crateUser;
    @Option(names = "--crate-password", description = "CrateDB password")
    String cratePassword;

    @Option(names = "--mongo-url", description = "MongoDB connection string (mongodb://…); a database of the run's own is written")
    String mongoUrl;
    @Option(names = "--mongo-imitation", description = "use an in-process imitation of MongoDB's wire protocol "
            + "(mongo-java-server) when no --mongo-url is given; its figures say nothing about MongoDB's speed")
    boolean mongoImitation;
    @Option(names = "--elastic-url", description = "Elasticsearch HTTP URL (http://host:9200); benchmarks only")
    String elasticUrl;
    @Option(names = "--elastic-user", description = "Elasticsearch user")
    String elasticUser;
    @Option(names = "--elastic-password", description = "Elasticsearch password")
    String elasticPassword;
    @Option(names = "--redis-url", description = "Redis URL (redis://host:6379/0); benchmarks only")
    String redisUrl;
    @Option(names = "--neo4j-url", description = "Neo4j Bolt URL (bolt://host:7687); benchmarks only")
    String neo4jUrl;
    @Option(names = "--neo4j-user", description = "Neo4j user (default neo4j)")
    String neo4jUser;
    @Option(names = "--neo4j-password", description = "Neo4j password")
    String neo4jPassword;

    Environment.Options toOptions() {
        Properties p = new Properties();
        if (config != null) {
            try (Reader r = Files.newBufferedReader(config, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new ConfigException("--config", "cannot read " + config + ": " + e.getMessage());
            }
            for (String k : p.stringPropertyNames()) {
                if (!KEYS.contains(k)) {
                    throw new ConfigException(k, "unknown setting in " + config + "; known settings are " + new java.util.TreeSet<>(KEYS));
                }
            }
        }
        return new Environment.Options(
                or(postgresUrl, p, "postgres-url"), or(postgresUser, p, "postgres-user"),
                or(postgresPassword, p, "postgres-password"), or(postgresTargetUrl, p, "postgres-target-url"),
                or(clickhouseUrl, p, "clickhouse-url"), or(clickhouseUser, p, "clickhouse-user"),
                or(clickhousePassword, p, "clickhouse-password"), or(clickhouseDatabase, p, "clickhouse-database"),
                noClickhouse || Boolean.parseBoolean(p.getProperty("no-clickhouse", "false")),
                or(crateUrl, p, "crate-url"), or(crateUser, p, "crate-user"), or(cratePassword, p, "crate-password"),
                or(mongoUrl, p, "mongo-url"),
                mongoImitation || Boolean.parseBoolean(p.getProperty("mongo-imitation", "false")),
                or(elasticUrl, p, "elastic-url"), or(elasticUser, p, "elastic-user"),
                or(elasticPassword, p, "elastic-password"), or(redisUrl, p, "redis-url"),
                or(neo4jUrl, p, "neo4j-url"), or(neo4jUser, p, "neo4j-user"), or(neo4jPassword, p, "neo4j-password"));
    }

    private static String or(String given, Properties p, String key) {
        return given != null ? given : p.getProperty(key);
    }
}
