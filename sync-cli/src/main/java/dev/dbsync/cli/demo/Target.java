package dev.dbsync.cli.demo;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * One database the demo and the benchmarks sync into.
 *
 * @param name       display name, e.g. {@code PostgreSQL}
 * @param type       the connector name, used for the sink and for the source that reads the target back
 * @param settings   connector settings of the sink (the reader gets those it declares)
 * @param kind       where the server came from and its version, for reports
 * @param queryUrl   JDBC URL (PostgreSQL, CrateDB) or HTTP URL (ClickHouse) for benchmark queries
 * @param user       user for {@code queryUrl}; may be null
 * @param password   password for {@code queryUrl}; may be null
 */
public record Target(String name, String type, Map<String, Object> settings, String kind, String queryUrl,
                     String user, String password) {

    public Target {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
        settings = Map.copyOf(settings);
    }
}
