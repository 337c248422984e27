package dev.dbsync.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The Redis sink: rows of table {@code T} as hashes (or JSON strings) at {@code prefix:T:key}; see
 * {@link RedisTableWriter} for how a batch is written and {@link KeyLayout} for the key layout.
 *
 * <p>On {@link #open} the table's schema is stored as JSON at {@code prefix:T:~schema} (the source reads it
 * back) and the table is added to {@code prefix:~dbsync:tables}. A table written before in the other value format
 * is refused, naming it, rather than mixed.
 */
final class RedisSink implements Sink {

    /** Value formats. */
    enum Format {
        HASH('h', "hash"), JSON_STRING('s', "json"), JSON_MODULE('j', "json");

        final char code;
        final String setting;

        Format(char code, String setting) {
            this.code = code;
            this.setting = setting;
        }
    }

    private final RedisConnection conn;
    private final Format format;
    private final Duration defaultTtl;
    private final Map<String, Duration> tableTtls;
    private final Map<String, List<String>> setIndexes;
    private final Map<String, List<String>> sortedIndexes;
    private final int rowsPerScript;
    private final RedisCheckpointStore store;
    private final boolean changeIndex;

    RedisSink(RedisConnection conn, Config config) {
        this.conn = conn;
        String fmt = config.getString(RedisSinkFactory.VALUE_FORMAT).toLowerCase(java.util.Locale.ROOT);
        if (fmt.equals("hash")) {
            format = Format.HASH;
        } else if (config.getString(RedisSinkFactory.JSON_MODULE).equalsIgnoreCase("auto") && hasJsonModule()) {
            format = Format.JSON_MODULE;
        } else {
            format = Format.JSON_STRING;
        }
        defaultTtl = config.has(RedisSinkFactory.TTL) ? config.getDuration(RedisSinkFactory.TTL) : null;
        tableTtls = new HashMap<>();
        for (Map.Entry<String, String> e : pairs(config, RedisSinkFactory.TTL_TABLES).entrySet()) {
            tableTtls.put(e.getKey(), parseDuration(RedisSinkFactory.TTL_TABLES, e.getValue()));
        }
        setIndexes = grouped(config, RedisSinkFactory.INDEX_SETS);
        sortedIndexes = grouped(config, RedisSinkFactory.INDEX_SORTED);
        rowsPerScript = config.getInt(RedisSinkFactory.ROWS_PER_SCRIPT);
        changeIndex = config.getBoolean(RedisSinkFactory.CHANGE_INDEX);
        store = new RedisCheckpointStore(conn, false, config.getDuration(RedisSinkFactory.LEASE_TTL));
    }

    private boolean hasJsonModule() {
        try (Jedis j = conn.get()) {
            return j.moduleList().stream().anyMatch(m -> m.getName().equalsIgnoreCase("ReJSON") || m.getName().equalsIgnoreCase("json"));
        } catch (JedisException e) {
            // MODULE LIST may be refused (ACLs, managed services): keep plain JSON strings then
            return false;
        }
    }

    Format format() {
        return format;
    }

    private static Map<String, String> pairs(Config config, String key) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!config.has(key)) {
            return out;
        }
        for (String item : config.getList(key)) {
            int at = item.lastIndexOf('=');
            if (at <= 0 || at == item.length() - 1) {
                throw new ConfigException(key, "each entry must be <table>=<value>, got '" + item + "'");
            }
            out.put(item.substring(0, at).trim(), item.substring(at + 1).trim());
        }
        return out;
    }

    private static Map<String, List<String>> grouped(Config config, String key) {
        Map<String, List<String>> out = new HashMap<>();
        if (!config.has(key)) {
            return out;
        }
        for (String item : config.getList(key)) {
            int at = item.lastIndexOf('=');
            if (at <= 0 || at == item.length() - 1) {
                throw new ConfigException(key, "each entry must be <table>=<column>, got '" + item + "'");
            }
            out.computeIfAbsent(item.substring(0, at).trim(), t -> new ArrayList<>()).add(item.substring(at + 1).trim());
        }
        return out;
    }

    private static final ConfigDef ONE_DURATION = ConfigDef.builder().optional("d", ConfigType.DURATION, null, "").build();

    static Duration parseDuration(String key, String text) {
        try {
            return Config.of(ONE_DURATION, Map.of("d", text)).getDuration("d");
        } catch (ConfigException e) {
            throw new ConfigException(key, "'" + text + "' is not a duration such as 30s, 15m, 1h or 7d");
        }
    }

    /**
     * Not {@link SinkCapability#TRANSACTIONS}: a batch that carries the sink's own checkpoint is one
     * {@code MULTI … EXEC}, but a batch without one is applied chunk by chunk (each chunk atomic), so that Redis
     * applies one chunk while the next is encoded.
     */
    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE,
                SinkCapability.VERSIONED, SinkCapability.CHECKPOINT_STORE);
    }

    /** Every core type and TIME (stored as ISO-8601 text, e.g. {@code 13:45:30.123456}). */
    @Override
    public Set<LogicalType> supportedTypes() {
        EnumSet<LogicalType> t = EnumSet.copyOf(LogicalType.CORE);
        t.add(LogicalType.TIME);
        return t;
    }

    @Override
    public TableWriter open(TableSchema schema) {
        String table = schema.name();
        Duration ttl = tableTtls.getOrDefault(table, defaultTtl);
        List<Integer> sets = columns(schema, setIndexes.get(table), RedisSinkFactory.INDEX_SETS, false);
        List<Integer> sorted = columns(schema, sortedIndexes.get(table), RedisSinkFactory.INDEX_SORTED, true);
        String tp = conn.layout.tablePrefix(table);
        List<String> dropped = new ArrayList<>();
        long indexedFrom = 0;
        try (Jedis j = conn.get()) {
            String old = j.get(tp + "~schema");
            if (old != null) {
                JsonNode oldMeta = Codec.JSON.readTree(old);
                String oldFormat = oldMeta.path("format").asText();
                if (!oldFormat.equals(format.setting)) {
                    throw new SyncException(ErrorType.CONFIG, "table '" + table + "' in Redis (" + conn.where() + ", key "
                            + tp + "~schema) holds values as " + oldFormat + " but value.format is " + format.setting
                            + "; truncate the table or choose another key.prefix");
                }
                dropped = dropped(schema, oldMeta);
                // tables stored before the setting existed were always indexed
                boolean wasIndexed = oldMeta.path(CHANGE_INDEX_FIELD).asBoolean(true);
                indexedFrom = oldMeta.path(INDEXED_FROM_FIELD).asLong(0);
                if (changeIndex && !wasIndexed) {
                    // changes made while the index was off have no numbers: readers positioned before now must
                    // snapshot again, and the sequence moves on so that no position taken later is mistaken for one
                    indexedFrom = j.incr(tp + "~seq");
                }
            }
            ObjectNode meta = schemaNode(schema, format, dropped);
            meta.put(CHANGE_INDEX_FIELD, changeIndex);
            if (changeIndex && indexedFrom > 0) {
                meta.put(INDEXED_FROM_FIELD, indexedFrom);
            }
            j.set(tp + "~schema", meta.toString());
            j.sadd(conn.layout.tablesKey(), table);
        } catch (JedisException e) {
            throw Errors.translate("open table '" + table + "'", e);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SyncException(ErrorType.EXTERNAL, "table '" + table + "': the schema stored at " + tp
                    + "~schema is not valid JSON", e);
        }
        return new RedisTableWriter(conn, store, schema, tp, format, ttl == null ? 0 : ttl.toMillis(), sets, sorted,
                rowsPerScript, format == Format.HASH ? dropped : List.of(), changeIndex);
    }

    private List<Integer> columns(TableSchema schema, List<String> names, String setting, boolean scorable) {
        List<Integer> out = new ArrayList<>();
        if (names == null) {
            return out;
        }
        for (String n : names) {
            int i = schema.indexOf(n);
            if (i < 0) {
                throw new ConfigException(setting, "table '" + schema.name() + "' has no column '" + n + "'; columns are "
                        + schema.columnNames());
            }
            LogicalType t = schema.columns().get(i).type();
            if (scorable && !Codec.scorable(t)) {
                throw new ConfigException(setting, "column '" + n + "' of table '" + schema.name() + "' is " + t
                        + "; a sorted index needs a number, a date or a time");
            }
            if (!scorable && (t == LogicalType.JSON || t == LogicalType.ARRAY || t == LogicalType.BYTES)) {
                throw new ConfigException(setting, "column '" + n + "' of table '" + schema.name() + "' is " + t
                        + "; a set index needs a scalar column");
            }
            out.add(i);
        }
        return out;
    }

    /**
     * The columns rows written earlier may still hold as hash fields but the table no longer has: the stored
     * schema's columns and its own dropped columns, less the current columns. Hashes are written in place, so every
     * write removes these fields; the list is kept in {@code ~schema} so that rows not rewritten since a change still
     * lose them when a later process rewrites them.
     */
    static List<String> dropped(TableSchema schema, JsonNode oldMeta) {
        Set<String> names = new java.util.LinkedHashSet<>();
        oldMeta.path("columns").forEach(c -> names.add(c.path("name").asText()));
        oldMeta.path("dropped").forEach(d -> names.add(d.asText()));
        names.removeAll(schema.columnNames());
        return new ArrayList<>(names);
    }

    /** The schema as stored at {@code ~schema}: format, columns with their types, primary key. */
    static String schemaJson(TableSchema schema, Format format) {
        return schemaNode(schema, format, List.of()).toString();
    }

    /** Whether the sink numbers the table's changes in {@code ~chg} (a field of {@code ~schema}). */
    static final String CHANGE_INDEX_FIELD = "changeIndex";
    /** The change sequence from which {@code ~chg} is complete, when the index was turned on late. */
    static final String INDEXED_FROM_FIELD = "changeIndexFrom";

    /** As {@link #schemaJson(TableSchema, Format)}, with the columns the table had before and no longer has. */
    static ObjectNode schemaNode(TableSchema schema, Format format, List<String> dropped) {
        ObjectNode o = Codec.JSON.createObjectNode();
        o.put("format", format.setting);
        if (!dropped.isEmpty()) {
            ArrayNode d = o.putArray("dropped");
            dropped.forEach(d::add);
        }
        ArrayNode cols = o.putArray("columns");
        for (Column c : schema.columns()) {
            ObjectNode n = cols.addObject();
            n.put("name", c.name());
            n.put("type", c.type().name());
            n.put("nullable", c.nullable());
            n.put("precision", c.precision());
            n.put("scale", c.scale());
            if (c.elementType() != null) {
                n.put("elementType", c.elementType().name());
            }
            if (c.sourceType() != null) {
                n.put("sourceType", c.sourceType());
            }
        }
        ArrayNode pk = o.putArray("primaryKey");
        schema.primaryKey().forEach(pk::add);
        return o;
    }

    /** Parses {@link #schemaJson}; returns the schema named {@code name}. */
    static TableSchema parseSchema(String name, JsonNode o) {
        List<Column> cols = new ArrayList<>();
        for (JsonNode n : o.path("columns")) {
            JsonNode et = n.get("elementType");
            JsonNode st = n.get("sourceType");
            cols.add(new Column(n.path("name").asText(), LogicalType.valueOf(n.path("type").asText()),
                    n.path("nullable").asBoolean(true), n.path("precision").asInt(), n.path("scale").asInt(),
                    et == null ? null : LogicalType.valueOf(et.asText()), st == null ? null : st.asText()));
        }
        List<String> pk = new ArrayList<>();
        o.path("primaryKey").forEach(k -> pk.add(k.asText()));
        return new TableSchema(name, cols, pk);
    }

    @Override
    public Optional<CheckpointStore> checkpointStore() {
        return Optional.of(store);
    }

    @Override
    public void close() {
        store.close();
        conn.close();
    }

    static byte[] utf8(String s) {
        return s.getBytes(UTF_8);
    }
}
