package dev.dbsync.kafka.connect;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigKey;
import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.TableSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;

/**
 * The connector configuration of the adapter: {@code dbsync.connector} names the dbsync source or sink, and its
 * settings are the keys prefixed with that name ({@code postgres.url}, {@code postgres.password}, …), the same
 * keys as in pipeline files. They are validated through the connector's own {@link dev.dbsync.config.ConfigDef}
 * and reported through Connect's {@code validate}.
 */
final class AdapterConfig {

    static final String CONNECTOR = "dbsync.connector";
    static final String TABLES = "dbsync.tables";
    static final String STRATEGY = "dbsync.strategy";
    static final String TOPIC_PREFIX = "dbsync.topic.prefix";
    static final String BATCH_ROWS = "dbsync.batch.rows";
    static final String POLL_INTERVAL_MS = "dbsync.poll.interval.ms";
    static final String TASK_TABLES = "dbsync.task.tables";
    static final String TARGET_SCHEMA_DROP = "dbsync.target.keep.schema";
    static final String ERRORS_TOLERANCE = "dbsync.errors.tolerance";
    static final String ERRORS_DLQ_TOPIC = "dbsync.errors.deadletterqueue.topic.name";

    /** A Kafka topic name: what the broker accepts, checked before a task would fail producing to it. */
    private static final java.util.regex.Pattern TOPIC = java.util.regex.Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    static ConfigDef sourceDef() {
        return new ConfigDef()
                .define(CONNECTOR, ConfigDef.Type.STRING, ConfigDef.NO_DEFAULT_VALUE, ConfigDef.Importance.HIGH,
                        "name of the dbsync source (e.g. postgres); its settings are the keys '<name>.<setting>'")
                .define(TABLES, ConfigDef.Type.LIST, "", ConfigDef.Importance.HIGH,
                        "source tables, each 'schema.table' or 'schema.table:cursor_column'; empty = every table the source lists")
                .define(STRATEGY, ConfigDef.Type.STRING, "cdc", ConfigDef.ValidString.in("full", "incremental", "cdc"),
                        ConfigDef.Importance.HIGH, "full snapshot, incremental by cursor, or snapshot then the change feed (one task)")
                .define(TOPIC_PREFIX, ConfigDef.Type.STRING, "dbsync", ConfigDef.Importance.MEDIUM,
                        "topic of table s.t: <prefix>.s.t")
                .define(BATCH_ROWS, ConfigDef.Type.INT, 2000, ConfigDef.Range.between(1, 1_000_000), ConfigDef.Importance.LOW,
                        "rows read per poll")
                .define(POLL_INTERVAL_MS, ConfigDef.Type.LONG, 1000L, ConfigDef.Range.atLeast(10), ConfigDef.Importance.LOW,
                        "wait between reads of a caught-up incremental table or an idle change feed")
                .define(ERRORS_TOLERANCE, ConfigDef.Type.STRING, "none", ConfigDef.ValidString.in("none", "all"),
                        ConfigDef.Importance.MEDIUM, "rows the source can read only in part (e.g. a PostgreSQL numeric NaN): "
                                + "'none' fails the task naming table, key and column; 'all' skips each such row, logged at WARN, "
                                + "counted and written to " + ERRORS_DLQ_TOPIC + " when set")
                .define(ERRORS_DLQ_TOPIC, ConfigDef.Type.STRING, "", (name, value) -> deadLetterTopic(value == null ? "" : value.toString()),
                        ConfigDef.Importance.MEDIUM, "topic for the rows skipped under " + ERRORS_TOLERANCE + "=all: key and value as on "
                                + "the table's topic (the value with what could be read), table, key and reason in headers; empty = none");
    }

    /**
     * Whether rows a source reads only in part are skipped ({@value #ERRORS_TOLERANCE} {@code all}) rather than
     * failing the task; throws naming the setting for a value other than {@code none}/{@code all}, or for a
     * dead-letter topic that is no topic name or is given without {@code all} (it would never receive a record).
     */
    static boolean tolerateAll(Map<String, String> props) {
        String t = props.getOrDefault(ERRORS_TOLERANCE, "none").trim();
        if (!t.equals("none") && !t.equals("all")) {
            throw new ConfigException(ERRORS_TOLERANCE, ERRORS_TOLERANCE + " must be 'none' or 'all', not '" + t + "'");
        }
        String topic = deadLetterTopic(props.getOrDefault(ERRORS_DLQ_TOPIC, ""));
        if (t.equals("none") && topic != null) {
            throw new ConfigException(ERRORS_DLQ_TOPIC, ERRORS_DLQ_TOPIC + " takes effect only with " + ERRORS_TOLERANCE
                    + "=all (with 'none' a row the source reads only in part fails the task)");
        }
        return t.equals("all");
    }

    /** The dead-letter topic, null when none is set; throws naming the setting for a name Kafka refuses. */
    static String deadLetterTopic(String value) {
        String v = value == null ? "" : value.trim();
        if (v.isEmpty()) {
            return null;
        }
        if (!TOPIC.matcher(v).matches() || v.equals(".") || v.equals("..")) {
            throw new org.apache.kafka.common.config.ConfigException(ERRORS_DLQ_TOPIC, v,
                    "not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)");
        }
        return v;
    }

    static ConfigDef sinkDef() {
        return new ConfigDef()
                .define(CONNECTOR, ConfigDef.Type.STRING, ConfigDef.NO_DEFAULT_VALUE, ConfigDef.Importance.HIGH,
                        "name of the dbsync sink (e.g. postgres); its settings are the keys '<name>.<setting>'")
                .define(TARGET_SCHEMA_DROP, ConfigDef.Type.BOOLEAN, false, ConfigDef.Importance.MEDIUM,
                        "target table = topic without the prefix ('s.t'); default: its last part ('t')");
    }

    /** The dbsync settings: every key {@code <connector>.<setting>} with the prefix removed. */
    static Map<String, Object> settings(String connector, Map<String, String> props) {
        String p = connector + ".";
        Map<String, Object> out = new LinkedHashMap<>();
        props.forEach((k, v) -> {
            if (k.startsWith(p)) {
                out.put(k.substring(p.length()), v);
            }
        });
        return out;
    }

    static SourceFactory sourceFactory(String name) {
        try {
            return Connectors.load(AdapterConfig.class.getClassLoader()).source(name);
        } catch (RuntimeException e) {
            throw new ConfigException(CONNECTOR, "no dbsync source named '" + name + "' on the plugin's class path: " + e.getMessage());
        }
    }

    static SinkFactory sinkFactory(String name) {
        try {
            return Connectors.load(AdapterConfig.class.getClassLoader()).sink(name);
        } catch (RuntimeException e) {
            throw new ConfigException(CONNECTOR, "no dbsync sink named '" + name + "' on the plugin's class path: " + e.getMessage());
        }
    }

    /**
     * Adds to Connect's own validation of a connector's configuration the named dbsync connector's settings, each
     * problem under its prefixed key; a connector name that cannot be loaded is reported under
     * {@value #CONNECTOR}.
     */
    static org.apache.kafka.common.config.Config validateConnector(org.apache.kafka.common.config.Config c,
            Map<String, String> props, java.util.function.Function<String, dev.dbsync.config.ConfigDef> defOf) {
        String name = props.get(CONNECTOR);
        if (name == null || name.isBlank()) {
            return c;
        }
        List<ConfigValue> values = c.configValues();
        try {
            validate(name, defOf.apply(name), props, values);
        } catch (dev.dbsync.spi.SyncException e) {
            for (ConfigValue v : values) {
                if (v.name().equals(CONNECTOR)) {
                    v.addErrorMessage(e.getMessage());
                }
            }
        }
        return c;
    }

    /**
     * Checks the dbsync settings against the connector's definition and adds each problem to the Connect
     * validation result under its prefixed key (secret values never appear in the messages).
     */
    static void validate(String connector, dev.dbsync.config.ConfigDef def, Map<String, String> props, List<ConfigValue> result) {
        Map<String, ConfigValue> byName = new HashMap<>();
        result.forEach(v -> byName.put(v.name(), v));
        for (ConfigKey k : def.keys()) {
            String name = connector + "." + k.name();
            if (!byName.containsKey(name)) {
                ConfigValue v = new ConfigValue(name, k.secret() ? (props.containsKey(name) ? "[hidden]" : null) : props.get(name),
                        List.of(), new ArrayList<>());
                result.add(v);
                byName.put(name, v);
            }
        }
        Map<String, Object> raw = settings(connector, props);
        // Config.of stops at the first problem: drop each offending key and check again to report them all
        for (int round = 0; round < 50; round++) {
            try {
                Config.of(def, raw);
                return;
            } catch (ConfigException e) {
                String key = e.key() == null ? CONNECTOR : connector + "." + e.key();
                ConfigValue v = byName.computeIfAbsent(key, n -> {
                    ConfigValue nv = new ConfigValue(n, props.get(n), List.of(), new ArrayList<>());
                    result.add(nv);
                    return nv;
                });
                v.addErrorMessage(e.getMessage());
                if (e.key() == null || !raw.containsKey(e.key())) {
                    return;
                }
                raw.remove(e.key());
            }
        }
    }

    /** A table entry: {@code schema.table} or {@code schema.table:cursor}. */
    static TableSpec spec(String entry) {
        int colon = entry.lastIndexOf(':');
        if (colon < 0) {
            return TableSpec.of(entry.trim());
        }
        return TableSpec.of(entry.substring(0, colon).trim()).withCursor(entry.substring(colon + 1).trim().split("\\+"));
    }

    private AdapterConfig() {
    }
}
