package dev.dbsync.redis;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;

/**
 * Creates the Redis sink, name {@code redis}: rows as hashes or JSON strings at {@code prefix:table:key},
 * versioned (an older replay is skipped), with optional TTLs and secondary indexes, each batch and its
 * checkpoint in one {@code MULTI … EXEC}. Settings: see {@link #configDef()} and the module's README.
 */
public final class RedisSinkFactory implements SinkFactory {

    static final String VALUE_FORMAT = "value.format";
    static final String JSON_MODULE = "json.module";
    static final String TTL = "ttl";
    static final String TTL_TABLES = "ttl.tables";
    static final String INDEX_SETS = "index.sets";
    static final String INDEX_SORTED = "index.sorted";
    static final String ROWS_PER_SCRIPT = "rows.per.script";
    static final String LEASE_TTL = "lease.ttl";
    static final String CONNECTIONS = "connections";
    static final String CHANGE_INDEX = "change.index";

    private static final ConfigDef DEF = ConfigDef.builder()
            .include(RedisConnection.CONNECTION)
            .optional(VALUE_FORMAT, ConfigType.STRING, "hash", Validator.oneOf("hash", "json"),
                    "hash: one hash field per non-null column; json: one JSON document per row")
            .optional(JSON_MODULE, ConfigType.STRING, "auto", Validator.oneOf("auto", "off"),
                    "with value.format json: auto = JSON.SET when the server has the RedisJSON module, else SET; off = always SET")
            .optional(TTL, ConfigType.DURATION, null, "time to live of every row key, renewed at each write; none by default")
            .optional(TTL_TABLES, ConfigType.LIST, null, "per-table TTLs overriding ttl, entries <table>=<duration>, e.g. sessions=30m")
            .optional(INDEX_SETS, ConfigType.LIST, null,
                    "set indexes, entries <table>=<column>: a set <prefix>:<table>:~idx:<column>:<value> of the keys having that value")
            .optional(INDEX_SORTED, ConfigType.LIST, null,
                    "sorted indexes, entries <table>=<column> (number, date or time): a sorted set <prefix>:<table>:~by:<column> scored by it")
            .optional(ROWS_PER_SCRIPT, ConfigType.INT, "200", Validator.range(1, 2_000),
                    "rows per Lua script call inside a batch's transaction")
            .optional(LEASE_TTL, ConfigType.DURATION, "5s",
                    "lease time to live of the in-target checkpoint store: how long a killed holder blocks a restart")
            .optional(CONNECTIONS, ConfigType.INT, "8", Validator.range(1, 1000), "most connections (one per table written at once)")
            .optional(CHANGE_INDEX, ConfigType.BOOLEAN, "false",
                    "number every change in a sorted set <prefix>:<table>:~chg so that the redis source can read the "
                    + "tables incrementally; costs Redis about a quarter more CPU per row; off by default")
            .build();

    /** Needed by {@link java.util.ServiceLoader}. */
    public RedisSinkFactory() {
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public String description() {
        return "Redis: rows as hashes or JSON strings, versioned, with TTLs and secondary indexes";
    }

    @Override
    public ConfigDef configDef() {
        return DEF;
    }

    @Override
    public Sink create(Config config) {
        RedisConnection conn = RedisConnection.open(config, config.getInt(CONNECTIONS));
        try {
            return new RedisSink(conn, config);
        } catch (RuntimeException e) {
            conn.close();
            throw e;
        }
    }
}
