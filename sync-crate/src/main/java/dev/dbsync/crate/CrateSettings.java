package dev.dbsync.crate;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The validated settings of the CrateDB sink and source, and the connection they describe. Immutable. */
final class CrateSettings {

    static final String URL = "url";
    static final String USER = "user";
    static final String PASSWORD = "password";
    static final String SCHEMA = "schema";
    static final String SHARDS = "shards";
    static final String REPLICAS = "replicas";
    static final String PARTITION_BY = "partition.by";
    static final String REFRESH_AFTER_FLUSH = "refresh.after.flush";
    static final String BATCH_SIZE = "batch.size";
    static final String DECIMAL_MAPPING = "decimal.mapping";
    static final String OBJECT_POLICY = "object.policy";
    static final String REFRESH_BEFORE_READ = "refresh.before.read";
    static final String REFRESH_INTERVAL = "refresh.interval";
    static final String INCREMENTAL_LAG = "incremental.lag";
    static final String INCREMENTAL_ALLOW_UNSAFE_CURSOR = "incremental.allow.unsafe.cursor";

    private static final Pattern CRATE_URL = Pattern.compile("crate://([^/:?]+)(?::(\\d+))?(?:/([^?]*))?(\\?.*)?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern REPLICAS_PATTERN = Pattern.compile("\\d{1,4}(-(\\d{1,4}|all))?");

    /** Connection settings shared by sink and source. */
    static final ConfigDef CONNECTION = ConfigDef.builder()
            .required(URL, ConfigType.STRING, Validator.startsWith("jdbc:postgresql:", "crate://"),
                    "CrateDB's PostgreSQL endpoint: jdbc:postgresql://host:5432/doc, or crate://host[:port] (port 5432)")
            .optional(USER, ConfigType.STRING, "crate", Validator.nonBlank(), "user name")
            .secret(PASSWORD, null, "password; none for CrateDB's trusted default user")
            .optional(SCHEMA, ConfigType.STRING, "doc", Validator.nonBlank(),
                    "schema of unqualified table names")
            .build();

    static final ConfigDef SINK = ConfigDef.builder()
            .include(CONNECTION)
            .optional(SHARDS, ConfigType.INT, null, Validator.range(1, 1000),
                    "CLUSTERED INTO n SHARDS for created tables; CrateDB's default when unset")
            .optional(REPLICAS, ConfigType.STRING, null, v -> REPLICAS_PATTERN.matcher(String.valueOf(v)).matches()
                    ? null : "must be a number or a range like 0-1 or 1-all, got '" + v + "'",
                    "number_of_replicas for created tables (e.g. 0, 1, 0-1); CrateDB's default when unset")
            .optional(PARTITION_BY, ConfigType.LIST, null, v -> partitionProblem(v),
                    "PARTITIONED BY columns of created tables, as table=column entries (a column per entry; the "
                            + "columns must belong to the primary key)")
            .optional(REFRESH_AFTER_FLUSH, ConfigType.BOOLEAN, "true",
                    "run REFRESH TABLE so rows written are visible to queries: on flush (at most once per "
                            + "refresh.interval) and always when a table's run ends")
            .optional(REFRESH_INTERVAL, ConfigType.DURATION, "10s",
                    "least time between two refreshes of a table by the sink while a run writes it (0s = on every "
                            + "flush; CrateDB's own periodic refresh still applies); written rows are durable either "
                            + "way, this only bounds how late they become visible")
            .optional(BATCH_SIZE, ConfigType.INT, "5000", Validator.range(1, 100_000),
                    "rows per bulk request (JDBC batch)")
            .optional(DECIMAL_MAPPING, ConfigType.STRING, "numeric", Validator.oneOf("numeric", "text", "double"),
                    "DECIMAL columns as NUMERIC(p,s) (CrateDB versions that store NUMERIC, p <= 38; else TEXT), "
                            + "TEXT, or DOUBLE PRECISION")
            .optional(OBJECT_POLICY, ConfigType.STRING, "dynamic", Validator.oneOf("dynamic", "ignored", "strict"),
                    "column policy of OBJECT columns created for JSON: dynamic, ignored or strict")
            .build();

    static final ConfigDef SOURCE = ConfigDef.builder()
            .include(CONNECTION)
            .optional(REFRESH_BEFORE_READ, ConfigType.BOOLEAN, "true",
                    "run REFRESH TABLE before reading so every acknowledged write is seen")
            .optional(INCREMENTAL_LAG, ConfigType.DURATION, "0s",
                    "extra distance of the incremental safe bound from CrateDB's current time and the oldest running "
                            + "write: room for writers whose cursor comes from their own clock (set it above the "
                            + "tables' refresh_interval when refresh.before.read is false)")
            .optional(INCREMENTAL_ALLOW_UNSAFE_CURSOR, ConfigType.BOOLEAN, "false",
                    "allow incremental reads by a non-time cursor (a number): such a cursor has no safe bound, so a row "
                            + "that becomes visible late with a smaller value can be skipped for good")
            .build();

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final String schema;
    private final Integer shards;
    private final String replicas;
    private final Map<String, List<String>> partitionBy;
    private final boolean refreshAfterFlush;
    private final int batchSize;
    private final DecimalMapping decimalMapping;
    private final String objectPolicy;
    private final boolean refreshBeforeRead;
    private final long refreshIntervalNanos;
    private final java.time.Duration incrementalLag;
    private final boolean allowUnsafeCursor;

    private CrateSettings(Config c) {
        this.jdbcUrl = toJdbcUrl(c.getString(URL));
        this.user = c.getString(USER);
        this.password = c.getString(PASSWORD);
        this.schema = c.getString(SCHEMA);
        boolean sink = c.def().key(BATCH_SIZE) != null;
        this.shards = sink ? c.getInt(SHARDS) : null;
        this.replicas = sink ? c.getString(REPLICAS) : null;
        this.partitionBy = sink ? parsePartitions(c.getList(PARTITION_BY)) : Map.of();
        this.refreshAfterFlush = !sink || c.getBoolean(REFRESH_AFTER_FLUSH);
        this.batchSize = sink ? c.getInt(BATCH_SIZE) : 5000;
        this.decimalMapping = sink ? DecimalMapping.valueOf(c.getString(DECIMAL_MAPPING).toUpperCase(Locale.ROOT))
                : DecimalMapping.NUMERIC;
        this.objectPolicy = sink ? c.getString(OBJECT_POLICY).toLowerCase(Locale.ROOT) : "dynamic";
        this.refreshBeforeRead = sink || c.getBoolean(REFRESH_BEFORE_READ);
        this.refreshIntervalNanos = sink ? c.getDuration(REFRESH_INTERVAL).toNanos() : 0;
        this.incrementalLag = sink ? java.time.Duration.ZERO : c.getDuration(INCREMENTAL_LAG);
        this.allowUnsafeCursor = !sink && c.getBoolean(INCREMENTAL_ALLOW_UNSAFE_CURSOR);
        String problem = CrateSql.tableNameProblem(schema);
        if (problem != null) {
            throw new ConfigException(SCHEMA, "schema name '" + schema + "' " + problem);
        }
    }

    static CrateSettings of(Config config) {
        return new CrateSettings(config);
    }

    /** Settings for tests and tools: parses raw values against the sink definition. */
    static CrateSettings sink(Map<String, ?> raw) {
        return new CrateSettings(SINK.parse(raw));
    }

    /**
     * {@code crate://host[:port][/schema]} → {@code jdbc:postgresql://host:port/schema} (port 5432, database
     * {@code doc}); JDBC URLs are kept.
     */
    static String toJdbcUrl(String url) {
        if (url.regionMatches(true, 0, "jdbc:postgresql:", 0, 16)) {
            return url;
        }
        Matcher m = CRATE_URL.matcher(url);
        if (!m.matches()) {
            throw new ConfigException(URL, "expected crate://host[:port] or jdbc:postgresql://host:port/doc, got '" + url + "'");
        }
        String port = m.group(2) == null ? "5432" : m.group(2);
        String db = m.group(3) == null || m.group(3).isEmpty() ? "doc" : m.group(3);
        String query = m.group(4) == null ? "" : m.group(4);
        return "jdbc:postgresql://" + m.group(1) + ":" + port + "/" + db + query;
    }

    static String checkReplicas(String value) {
        if (!REPLICAS_PATTERN.matcher(value).matches()) {
            throw new ConfigException(REPLICAS, "must be a number or a range like 0-1 or 1-all, got '" + value + "'");
        }
        return value;
    }

    private static String partitionProblem(Object v) {
        for (Object o : (List<?>) v) {
            String e = String.valueOf(o);
            int eq = e.indexOf('=');
            if (eq <= 0 || eq == e.length() - 1) {
                return "entries must look like table=column, got '" + e + "'";
            }
        }
        return null;
    }

    private static Map<String, List<String>> parsePartitions(List<String> entries) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String e : entries) {
            int eq = e.indexOf('=');
            out.computeIfAbsent(e.substring(0, eq).trim(), k -> new ArrayList<>()).add(e.substring(eq + 1).trim());
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return Collections.unmodifiableMap(out);
    }

    /** The pgjdbc connection properties: user, password, and a name CrateDB shows in its job log. */
    Properties connectionProperties() {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("ApplicationName", "dbsync");
        return p;
    }

    String jdbcUrl() {
        return jdbcUrl;
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    String schema() {
        return schema;
    }

    Integer shards() {
        return shards;
    }

    String replicas() {
        return replicas;
    }

    /** The configured partition columns of a target table; empty when none. */
    List<String> partitionBy(String table) {
        return partitionBy.getOrDefault(table, List.of());
    }

    Map<String, List<String>> partitionBy() {
        return partitionBy;
    }

    boolean refreshAfterFlush() {
        return refreshAfterFlush;
    }

    int batchSize() {
        return batchSize;
    }

    DecimalMapping decimalMapping() {
        return decimalMapping;
    }

    String objectPolicy() {
        return objectPolicy;
    }

    boolean refreshBeforeRead() {
        return refreshBeforeRead;
    }

    /** Least time between two refreshes of a table by its writer's flushes. */
    long refreshIntervalNanos() {
        return refreshIntervalNanos;
    }

    /** How far behind CrateDB's current time incremental reads by a time cursor stop. */
    java.time.Duration incrementalLag() {
        return incrementalLag;
    }

    /** Whether incremental reads by a non-time cursor are allowed. */
    boolean allowUnsafeCursor() {
        return allowUnsafeCursor;
    }
}
