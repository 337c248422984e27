package dev.dbsync.elastic;

import static java.util.Objects.requireNonNull;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.ConfigException;
import java.time.Duration;
import java.util.List;

/**
 * The settings of the Elasticsearch connector: the declared keys ({@link #SINK}, {@link #SOURCE}, {@link #STORE})
 * and their validated values. Immutable and thread-safe; {@link #toString()} never shows a secret.
 */
public final class ElasticSettings {

    /** Connection settings shared by the sink, the source and the checkpoint store. */
    public static final ConfigDef CONNECTION = ConfigDef.builder()
            .required("url", ConfigType.LIST, urls(), "Elasticsearch HTTP endpoints, comma-separated, e.g. http://es1:9200,http://es2:9200")
            .optional("user", ConfigType.STRING, null, "user for basic authentication")
            .secret("password", null, "password for basic authentication")
            .secret("api.key", null, "API key (the encoded id:key form); used instead of user/password")
            .optional("request.timeout", ConfigType.DURATION, "60s", positive(), "socket timeout of one HTTP request")
            .build();

    /** Settings of the checkpoint store kept in an index. */
    public static final ConfigDef STORE = ConfigDef.builder()
            .include(CONNECTION)
            .optional("checkpoint.index", ConfigType.STRING, "dbsync_checkpoints", indexName(), "index holding checkpoints and pipeline leases")
            .optional("lease.ttl", ConfigType.DURATION, "10s", positive(),
                    "a pipeline lease not renewed for this long is free: a killed holder blocks a restart at most this long; renewed every third of it")
            .build();

    /** Sink settings. */
    public static final ConfigDef SINK = ConfigDef.builder()
            .include(STORE)
            .optional("index.prefix", ConfigType.STRING, "", "prefix of every index name (e.g. shop_); index names are the lower-cased table names")
            .optional("index.alias", ConfigType.BOOLEAN, "false",
                    "write through an alias named like the table over a generation index <name>-g<n>: TRUNCATE swaps in an empty index atomically")
            .optional("index.shards", ConfigType.INT, "1", Validator.range(1, 1024), "number_of_shards of created indexes")
            .optional("index.replicas", ConfigType.INT, "1", Validator.range(0, 64), "number_of_replicas of created indexes")
            .optional("index.refresh.interval", ConfigType.STRING, null, "refresh_interval of created indexes (e.g. 1s, 30s, -1); unset = the server's default")
            .optional("dynamic", ConfigType.STRING, "true", Validator.oneOf("true", "false", "strict"),
                    "the mappings' dynamic setting: strict refuses documents with fields the schema does not declare")
            .optional("string.mapping", ConfigType.STRING, "text_keyword", Validator.oneOf("text_keyword", "keyword", "text"),
                    "STRING columns: text with a .keyword sub-field (up to 256 characters), keyword or text; key columns are always keyword")
            .optional("decimal.mapping", ConfigType.STRING, "keyword", Validator.oneOf("keyword", "double"),
                    "DECIMAL columns: keyword keeps the exact digits (with a .num double sub-field for ranges and aggregations); double rounds")
            .optional("json.mapping", ConfigType.STRING, "flattened", Validator.oneOf("flattened", "object", "disabled"),
                    "JSON columns: flattened (one field, keys searchable as keywords), object (dynamic sub-fields) or disabled (stored, not indexed)")
            .optional("timestamp.mapping", ConfigType.STRING, "auto", Validator.oneOf("auto", "date", "date_nanos"),
                    "TIMESTAMP columns: auto = date_nanos (1970-2262 only) when the column declares more than 3 fractional digits, else date (milliseconds; _source keeps every digit)")
            .optional("refresh.on.flush", ConfigType.BOOLEAN, "true", "refresh the index on flush, so a search right after a sync sees every row")
            .optional("refresh.min.interval", ConfigType.DURATION, "1s", v -> ((Duration) v).isNegative() ? "must not be negative" : null,
                    "flushes refresh at most this often (0 = every flush); a writer that wrote since its last refresh always refreshes when it closes")
            .optional("bulk.max.bytes", ConfigType.SIZE, "8MB", Validator.range(1024, 1L << 30), "most bytes of one bulk request")
            .optional("bulk.max.actions", ConfigType.INT, "5000", Validator.range(1, 1_000_000), "most actions of one bulk request")
            .optional("retry.max.attempts", ConfigType.INT, "10", Validator.range(1, 1000),
                    "attempts for bulk items the server rejects as overloaded (429, es_rejected_execution_exception) before the write fails as retriable")
            .optional("retry.initial.backoff", ConfigType.DURATION, "100ms", positive(), "first wait before resending rejected items; doubles each time")
            .optional("retry.max.backoff", ConfigType.DURATION, "5s", positive(), "longest wait before resending rejected items")
            .optional("gc.deletes", ConfigType.DURATION, "10m", positive(),
                    "index.gc_deletes of created indexes: how long a deleted document's version is remembered, so an older replay cannot bring it back")
            .build();

    /** Source settings. */
    public static final ConfigDef SOURCE = ConfigDef.builder()
            .include(CONNECTION)
            .optional("index.prefix", ConfigType.STRING, "", "prefix added to table names to find the index")
            .optional("incremental.lag", ConfigType.DURATION, "2s", positive(),
                    "incremental reads refresh the index, then stop at the reader's clock minus this: covers writers' clock skew and requests still on their way")
            .optional("incremental.allow.unsafe.cursor", ConfigType.BOOLEAN, "false",
                    "allow incremental reads by a cursor that is not a date (no safe bound can be applied then)")
            .optional("pit.keep.alive", ConfigType.DURATION, "2m", positive(), "keep-alive of the point in time a full read holds between chunks")
            .build();

    final List<String> urls;
    final String user;
    final String password;
    final String apiKey;
    final Duration requestTimeout;
    final String checkpointIndex;
    final Duration leaseTtl;
    final String indexPrefix;
    final boolean alias;
    final int shards;
    final int replicas;
    final String refreshInterval;
    final String dynamic;
    final String stringMapping;
    final String decimalMapping;
    final String jsonMapping;
    final String timestampMapping;
    final boolean refreshOnFlush;
    final Duration refreshMinInterval;
    final long bulkMaxBytes;
    final int bulkMaxActions;
    final int retryMaxAttempts;
    final Duration retryInitialBackoff;
    final Duration retryMaxBackoff;
    final Duration gcDeletes;
    final Duration incrementalLag;
    final boolean allowUnsafeCursor;
    final Duration pitKeepAlive;

    private ElasticSettings(Config c) {
        requireNonNull(c, "config is null");
        urls = c.getList("url");
        user = c.getString("user");
        password = c.getString("password");
        apiKey = c.getString("api.key");
        requestTimeout = c.getDuration("request.timeout");
        if (user != null && password == null) {
            throw new ConfigException("password", "required when user is set");
        }
        if (apiKey != null && user != null) {
            throw new ConfigException("api.key", "give either api.key or user/password, not both");
        }
        checkpointIndex = has(c, "checkpoint.index") ? c.getString("checkpoint.index") : "dbsync_checkpoints";
        leaseTtl = has(c, "lease.ttl") ? c.getDuration("lease.ttl") : Duration.ofSeconds(10);
        indexPrefix = has(c, "index.prefix") ? c.getString("index.prefix") : "";
        alias = has(c, "index.alias") && c.getBoolean("index.alias");
        shards = has(c, "index.shards") ? c.getInt("index.shards") : 1;
        replicas = has(c, "index.replicas") ? c.getInt("index.replicas") : 1;
        refreshInterval = has(c, "index.refresh.interval") ? c.getString("index.refresh.interval") : null;
        dynamic = has(c, "dynamic") ? c.getString("dynamic").toLowerCase(java.util.Locale.ROOT) : "true";
        stringMapping = has(c, "string.mapping") ? c.getString("string.mapping").toLowerCase(java.util.Locale.ROOT) : "text_keyword";
        decimalMapping = has(c, "decimal.mapping") ? c.getString("decimal.mapping").toLowerCase(java.util.Locale.ROOT) : "keyword";
        jsonMapping = has(c, "json.mapping") ? c.getString("json.mapping").toLowerCase(java.util.Locale.ROOT) : "flattened";
        timestampMapping = has(c, "timestamp.mapping") ? c.getString("timestamp.mapping").toLowerCase(java.util.Locale.ROOT) : "auto";
        refreshOnFlush = !has(c, "refresh.on.flush") || c.getBoolean("refresh.on.flush");
        refreshMinInterval = has(c, "refresh.min.interval") ? c.getDuration("refresh.min.interval") : Duration.ofSeconds(1);
        bulkMaxBytes = has(c, "bulk.max.bytes") ? c.getSize("bulk.max.bytes") : 8L << 20;
        bulkMaxActions = has(c, "bulk.max.actions") ? c.getInt("bulk.max.actions") : 5000;
        retryMaxAttempts = has(c, "retry.max.attempts") ? c.getInt("retry.max.attempts") : 10;
        retryInitialBackoff = has(c, "retry.initial.backoff") ? c.getDuration("retry.initial.backoff") : Duration.ofMillis(100);
        retryMaxBackoff = has(c, "retry.max.backoff") ? c.getDuration("retry.max.backoff") : Duration.ofSeconds(5);
        gcDeletes = has(c, "gc.deletes") ? c.getDuration("gc.deletes") : Duration.ofMinutes(10);
        incrementalLag = has(c, "incremental.lag") ? c.getDuration("incremental.lag") : Duration.ofSeconds(2);
        allowUnsafeCursor = has(c, "incremental.allow.unsafe.cursor") && c.getBoolean("incremental.allow.unsafe.cursor");
        pitKeepAlive = has(c, "pit.keep.alive") ? c.getDuration("pit.keep.alive") : Duration.ofMinutes(2);
    }

    /** Reads the settings from a config validated against {@link #SINK}, {@link #SOURCE} or {@link #STORE}. */
    public static ElasticSettings of(Config config) {
        return new ElasticSettings(config);
    }

    private static boolean has(Config c, String key) {
        return c.def().key(key) != null && c.has(key);
    }

    private static Validator urls() {
        return v -> {
            @SuppressWarnings("unchecked")
            List<String> list = (List<String>) v;
            if (list.isEmpty()) {
                return "must name at least one http:// or https:// endpoint";
            }
            for (String u : list) {
                String problem = Validator.startsWith("http://", "https://").check(u);
                if (problem != null) {
                    return problem;
                }
            }
            return null;
        };
    }

    private static Validator positive() {
        return v -> ((Duration) v).isNegative() || ((Duration) v).isZero() ? "must be positive, got " + v : null;
    }

    private static Validator indexName() {
        return Validator.matches("[a-z0-9][a-z0-9._-]{0,200}", "a lower-case index name (letters, digits, '.', '_', '-')");
    }

    @Override
    public String toString() {
        return "ElasticSettings[url=" + urls + ", user=" + user + ", password=" + (password == null ? "unset" : "****")
                + ", api.key=" + (apiKey == null ? "unset" : "****") + ", index.prefix=" + indexPrefix + "]";
    }
}
