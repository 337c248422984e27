package dev.dbsync.postgres;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;

/**
 * The {@code postgres} source: snapshots and incremental reads through binary COPY, and change data capture
 * through logical replication ({@code pgoutput}). Settings:
 * <ul>
 *   <li>{@code url} (required): {@code jdbc:postgresql://host:port/database}, pgjdbc URL parameters allowed;</li>
 *   <li>{@code user}, {@code password} (secret);</li>
 *   <li>{@code schema} (default {@code public}): schema of table names given without one;</li>
 *   <li>{@code incremental.lag} (default {@code 0s}): extra distance the incremental safe bound keeps from
 *       the oldest open transaction and the current time, for writers whose cursor values come from a
 *       clock other than the transaction start ({@code clock_timestamp()}, application servers);</li>
 *   <li>{@code incremental.allow.unsafe.cursor} (default false): allow incremental reads by a cursor that is no
 *       time (bigint, sequence, text): such values are taken before their transaction commits, so rows of
 *       transactions that commit late can be skipped; without it such tables fail with a message naming
 *       this setting;</li>
 *   <li>{@code slot.name}, {@code publication.name} (default {@code dbsync}): the replication slot and
 *       publication used by change data capture, created when missing;</li>
 *   <li>{@code slot.heartbeat} (default 10 s): how often an idle change feed reports its position;</li>
 *   <li>{@code snapshot.readers} (default 2): connections reading one table's snapshot at once, all in one
 *       exported snapshot, by key ranges handed out in key order;</li>
 *   <li>{@code snapshot.idle.timeout} (default 60 s): a snapshot session nobody read from for this long ends
 *       (its transactions would hold vacuum back); a later read opens a new one.</li>
 * </ul>
 */
public final class PostgresSourceFactory implements SourceFactory {

    public static final String URL = "url";
    public static final String USER = "user";
    public static final String PASSWORD = "password";
    public static final String SCHEMA = "schema";
    public static final String INCREMENTAL_LAG = "incremental.lag";
    public static final String INCREMENTAL_ALLOW_UNSAFE_CURSOR = "incremental.allow.unsafe.cursor";
    public static final String SLOT_NAME = "slot.name";
    public static final String PUBLICATION_NAME = "publication.name";
    public static final String SLOT_HEARTBEAT = "slot.heartbeat";
    public static final String TIME_ZONE = "time.zone";
    public static final String SNAPSHOT_READERS = "snapshot.readers";
    public static final String SNAPSHOT_IDLE_TIMEOUT = "snapshot.idle.timeout";

    private static final ConfigDef DEF = ConfigDef.builder()
            .required(URL, ConfigType.STRING, Validator.startsWith("jdbc:postgresql:"),
                    "JDBC URL of the source database, jdbc:postgresql://host:port/database")
            .optional(USER, ConfigType.STRING, null, "user name (default: from the URL or the driver)")
            .secret(PASSWORD, null, "password")
            .optional(SCHEMA, ConfigType.STRING, "public", Validator.nonBlank(), "schema of table names given without one")
            .optional(INCREMENTAL_LAG, ConfigType.DURATION, "0s",
                    "extra distance of the incremental safe bound from the oldest open transaction and the current time")
            .optional(INCREMENTAL_ALLOW_UNSAFE_CURSOR, ConfigType.BOOLEAN, "false",
                    "allow incremental reads by a non-time cursor (bigint, sequence): rows of late-committing transactions"
                    + " can be skipped, since such values are taken before commit")
            .optional(SLOT_NAME, ConfigType.STRING, null, Validator.matches("[a-z0-9_]{1,63}",
                    "lower-case letters, digits and underscores, at most 63"), "logical replication slot for change data"
                    + " capture (a slot in use by another consumer is refused, naming it); default: dbsync_<pipeline name>"
                    + " (lower case, other characters as _), so every pipeline has its own; 'dbsync' outside a pipeline")
            .optional(PUBLICATION_NAME, ConfigType.STRING, null, Validator.nonBlank(),
                    "publication for change data capture (created for the synced tables when missing); default: as the slot")
            .optional(TIME_ZONE, ConfigType.STRING, null, v -> {
                        try {
                            java.time.ZoneId.of(String.valueOf(v).trim());
                            return null;
                        } catch (java.time.DateTimeException e) {
                            return "not a time zone: " + e.getMessage();
                        }
                    }, "time zone of the source's sessions (e.g. UTC, Europe/Berlin): values of"
                    + " 'timestamp without time zone' cursors are compared with the safe bound in it, so it must be the zone the"
                    + " writers' now() runs in; default: this JVM's")
            .optional(SLOT_HEARTBEAT, ConfigType.DURATION, "10s", v -> ((java.time.Duration) v).isZero() || ((java.time.Duration) v).isNegative() ? "must be positive" : null,
                    "how often an idle change feed reports its position, so the slot advances and retains no WAL")
            .optional(SNAPSHOT_READERS, ConfigType.INT, String.valueOf(PostgresSource.DEFAULT_READERS), Validator.range(1, 64),
                    "connections (and threads) reading one table's snapshot at once, by key ranges, all in one exported"
                    + " snapshot and handed out in key order; 1 reads the table with one COPY")
            .optional(SNAPSHOT_IDLE_TIMEOUT, ConfigType.DURATION, PostgresSource.DEFAULT_IDLE_TIMEOUT.toSeconds() + "s",
                    v -> ((java.time.Duration) v).isZero() || ((java.time.Duration) v).isNegative() ? "must be positive" : null,
                    "a table's snapshot session (its open read-only transactions) ends when nothing was read from it for"
                    + " this long, so a stopped sync does not hold vacuum back")
            .build();

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public PostgresSourceFactory() {
    }

    /** Logical replication: the CDC strategy is available. */
    @Override
    public boolean offersChangeFeed() {
        return true;
    }

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public String description() {
        return "PostgreSQL source: binary-COPY snapshots, incremental reads with a late-commit safe bound, logical replication";
    }

    @Override
    public ConfigDef configDef() {
        return DEF;
    }

    @Override
    public Source create(Config config) {
        java.util.Properties extra = new java.util.Properties();
        String zone = config.getString(TIME_ZONE);
        if (zone != null && !zone.isBlank()) {
            // applied to every session as it starts (pgjdbc's "options" startup parameter)
            org.postgresql.PGProperty.OPTIONS.set(extra, "-c TimeZone=" + zone.trim());
        }
        PgConnectionFactory connections = new PgConnectionFactory(config.getString(URL), config.getString(USER),
                config.getString(PASSWORD), extra);
        Integer readers = config.getInt(SNAPSHOT_READERS);
        java.time.Duration idle = config.getDuration(SNAPSHOT_IDLE_TIMEOUT);
        SnapshotSession.Options snapshot = new SnapshotSession.Options(
                readers == null ? PostgresSource.DEFAULT_READERS : readers, SnapshotSession.Options.DEFAULT_RANGE_BYTES,
                idle == null ? PostgresSource.DEFAULT_IDLE_TIMEOUT : idle);
        return new PostgresSource(connections, config.getString(SCHEMA), config.getDuration(INCREMENTAL_LAG),
                config.getString(SLOT_NAME), config.getString(PUBLICATION_NAME), config.getDuration(SLOT_HEARTBEAT),
                config.getBoolean(INCREMENTAL_ALLOW_UNSAFE_CURSOR), snapshot);
    }
}
