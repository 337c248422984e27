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
 * options win.
 */
final class ServerOptions {

    private static final Set<String> KEYS = Set.of("postgres-url", "postgres-user", "postgres-password",
            "postgres-target-url", "clickhouse-url", "clickhouse-user", "clickhouse-password", "clickhouse-database",
            "no-clickhouse", "crate-url", "crate-user", "crate-password");

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
                or(crateUrl, p, "crate-url"), or(crateUser, p, "crate-user"), or(cratePassword, p, "crate-password"));
    }

    private static String or(String given, Properties p, String key) {
        return given != null ? given : p.getProperty(key);
    }
}
