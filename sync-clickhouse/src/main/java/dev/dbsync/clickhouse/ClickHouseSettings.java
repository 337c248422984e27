package dev.dbsync.clickhouse;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.ConfigException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The settings of the ClickHouse connectors, declared once. The sink, the source and the checkpoint store
 * share the connection settings; the sink adds the table-layout settings.
 *
 * <p>Per-table settings ({@code partition.by}, {@code order.by}) take a list of {@code table:expression}
 * pairs separated by {@code ;}, e.g. {@code activity_logs:toYYYYMM(created_at);orders:toYear(created_at)}:
 * the config model declares fixed keys only, so one key carries every table. The table part ends at the
 * first {@code :}.
 */
public final class ClickHouseSettings {

    public static final String URL = "url";
    public static final String USER = "user";
    public static final String PASSWORD = "password";
    public static final String DATABASE = "database";
    public static final String COMPRESSION = "compression";
    public static final String SOCKET_TIMEOUT = "socket.timeout";
    public static final String BATCH_ROWS = "batch.rows";
    public static final String ENGINE = "engine";
    public static final String ON_CLUSTER = "on.cluster";
    public static final String PARTITION_BY = "partition.by";
    public static final String ORDER_BY = "order.by";
    public static final String LOW_CARDINALITY = "low.cardinality";
    public static final String JSON_TYPE = "json.type";
    public static final String CHECKPOINT_TABLE = "checkpoint.table";
    public static final String CREATE_VIEW = "create.view";
    public static final String LEASE_TTL = "lease.ttl";
    public static final String INCREMENTAL_LAG = "incremental.lag";
    public static final String FINAL = "final";

    /** Connection settings shared by every ClickHouse connector. */
    static final ConfigDef CONNECTION = ConfigDef.builder()
            .required(URL, ConfigType.STRING, Validator.matches("(?i)https?://[^/:\\s]+(:\\d+)?/?",
                    "an HTTP(S) URL like http://host:8123"), "HTTP(S) endpoint of the ClickHouse server, e.g. http://localhost:8123")
            .optional(USER, ConfigType.STRING, "default", Validator.nonBlank(), "user name")
            .secret(PASSWORD, "", "password of the user")
            .optional(DATABASE, ConfigType.STRING, "default", Validator.nonBlank(), "database that holds the tables")
            .optional(COMPRESSION, ConfigType.STRING, "lz4", Validator.oneOf("lz4", "none"),
                    "request body compression: lz4 (ClickHouse's LZ4 block framing) or none")
            .optional(SOCKET_TIMEOUT, ConfigType.DURATION, "5m", "how long a request may wait for the server before it is retried")
            .build();

    static final ConfigDef CHECKPOINT_STORE = ConfigDef.builder()
            .include(CONNECTION)
            .optional(CHECKPOINT_TABLE, ConfigType.STRING, "sync_control", Validator.nonBlank(),
                    "table that keeps the pipelines' checkpoints (created when missing)")
            .optional(LEASE_TTL, ConfigType.DURATION, "15s",
                    "how long a pipeline's lease outlives its last renewal: a killed holder on another host blocks the "
                            + "pipeline this long at most (one on this host is detected at once); renewed every third of it")
            .build();

    static final ConfigDef SINK = ConfigDef.builder()
            .include(CHECKPOINT_STORE)
            .optional(BATCH_ROWS, ConfigType.INT, "100000", Validator.range(1, 10_000_000),
                    "rows buffered per table before an INSERT is sent; flush() always sends what is buffered")
            .optional(ENGINE, ConfigType.STRING, null,
                    "table engine of created tables instead of ReplacingMergeTree(_version, _is_deleted), e.g. "
                            + "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', _version, _is_deleted); "
                            + "must be a ReplacingMergeTree variant over _version and _is_deleted")
            .optional(ON_CLUSTER, ConfigType.STRING, null, "cluster name for ON CLUSTER in CREATE, TRUNCATE and DROP statements")
            .optional(PARTITION_BY, ConfigType.STRING, null,
                    "PARTITION BY per table as table:expression pairs separated by ';', e.g. activity_logs:toYYYYMM(created_at)")
            .optional(ORDER_BY, ConfigType.STRING, null,
                    "ORDER BY per table as table:expression pairs separated by ';' (must include every key column; "
                            + "default: the key), e.g. activity_logs:(created_at, id)")
            .optional(LOW_CARDINALITY, ConfigType.LIST, "",
                    "String columns stored as LowCardinality(String): 'column' for every table or 'table.column'")
            .optional(JSON_TYPE, ConfigType.STRING, "String", Validator.oneOf("String", "JSON"),
                    "ClickHouse type of JSON columns: String (JSON text, query with JSONExtract*) or JSON")
            .optional(CREATE_VIEW, ConfigType.BOOLEAN, "false",
                    "also create a view <table>_live = SELECT the columns FROM <table> FINAL WHERE _is_deleted = 0")
            .build();

    static final ConfigDef SOURCE = ConfigDef.builder()
            .include(CONNECTION)
            .optional(FINAL, ConfigType.BOOLEAN, "true",
                    "read ReplacingMergeTree tables with FINAL, so only the latest version of each row is returned")
            .optional(INCREMENTAL_LAG, ConfigType.DURATION, "2s",
                    "incremental reads of a date/time cursor stop this far behind the server's clock: rows of asynchronous "
                            + "inserts and of writers whose clocks lag become visible late, and are read on a later run")
            .build();

    final String url;
    final String user;
    final String password;
    final String database;
    final boolean compress;
    final Duration socketTimeout;
    final String checkpointTable;
    final Duration leaseTtl;
    final int batchRows;
    final String engine;
    final String onCluster;
    final Map<String, String> partitionBy;
    final Map<String, String> orderBy;
    final List<String> lowCardinality;
    final boolean jsonType;
    final boolean createView;
    final boolean useFinal;
    final Duration incrementalLag;

    private ClickHouseSettings(Config c) {
        url = c.getString(URL);
        user = c.getString(USER);
        password = c.getString(PASSWORD);
        database = c.getString(DATABASE);
        compress = "lz4".equalsIgnoreCase(c.getString(COMPRESSION));
        socketTimeout = c.getDuration(SOCKET_TIMEOUT);
        checkpointTable = c.def().key(CHECKPOINT_TABLE) != null ? c.getString(CHECKPOINT_TABLE) : "sync_control";
        leaseTtl = c.def().key(LEASE_TTL) != null ? c.getDuration(LEASE_TTL) : Duration.ofSeconds(15);
        boolean sink = c.def().key(BATCH_ROWS) != null;
        batchRows = sink ? c.getInt(BATCH_ROWS) : 100_000;
        engine = sink ? c.getString(ENGINE) : null;
        onCluster = sink ? c.getString(ON_CLUSTER) : null;
        partitionBy = sink ? perTable(PARTITION_BY, c.getString(PARTITION_BY)) : Map.of();
        orderBy = sink ? perTable(ORDER_BY, c.getString(ORDER_BY)) : Map.of();
        lowCardinality = sink ? c.getList(LOW_CARDINALITY) : List.of();
        jsonType = sink && "JSON".equalsIgnoreCase(c.getString(JSON_TYPE));
        createView = sink && c.getBoolean(CREATE_VIEW);
        useFinal = c.def().key(FINAL) == null || c.getBoolean(FINAL);
        incrementalLag = c.def().key(INCREMENTAL_LAG) != null ? c.getDuration(INCREMENTAL_LAG) : Duration.ofSeconds(2);
        if (engine != null && !engine.contains("ReplacingMergeTree")) {
            throw new ConfigException(ENGINE, "must be a ReplacingMergeTree variant (deletes and versions rely on it), got '" + engine + "'");
        }
    }

    /** Reads a config validated against one of this class's definitions. */
    static ClickHouseSettings of(Config config) {
        return new ClickHouseSettings(config);
    }

    /** Parses {@code table:expr;table2:expr2}; a table named twice or a pair without ':' names the key. */
    static Map<String, String> perTable(String key, String value) {
        if (value == null || value.isBlank()) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : value.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            int colon = part.indexOf(':');
            if (colon <= 0 || colon == part.length() - 1 || part.substring(colon + 1).isBlank()) {
                throw new ConfigException(key, "expected table:expression pairs separated by ';', got '" + part.trim() + "'");
            }
            String table = part.substring(0, colon).trim();
            if (out.put(table, part.substring(colon + 1).trim()) != null) {
                throw new ConfigException(key, "table '" + table + "' is given twice");
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** Whether {@code column} of {@code table} is configured as LowCardinality. */
    boolean lowCardinality(String table, String column) {
        for (String entry : lowCardinality) {
            if (entry.equals(column) || entry.equals(table + "." + column)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "ClickHouseSettings{url=" + url + ", user=" + user + ", database=" + database + "}";
    }

}
