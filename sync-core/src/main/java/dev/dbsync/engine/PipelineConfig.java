package dev.dbsync.engine;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.CheckpointStoreFactory;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A whole pipeline described as data: read from a YAML, JSON or properties file (or a map), validated
 * completely before anything connects, then turned into a {@link SyncEngine}. Example (YAML):
 *
 * <pre>
 * pipeline: shop-to-analytics
 * source:      { type: postgres, url: "jdbc:postgresql://db/shop", user: sync, password: "${env:PGPASSWORD}" }
 * sink:        { type: clickhouse, url: "http://olap:8123" }
 * checkpoints: { type: file, dir: /var/lib/dbsync }
 * tables:
 *   - { table: public.orders, strategy: incremental, cursor: [updated_at], softDelete: is_deleted }
 *   - { table: public.customers, strategy: full }
 * engine:      { batch.rows: 50000, poll.interval: 30s }
 * deadLetter:  { type: jsonl, path: rejected.jsonl, limit: 1000 }
 * </pre>
 *
 * Several targets from one read: {@code sinks} instead of {@code sink}, a map from each sink's name to its
 * settings; {@code targets} optionally renames target tables for that sink only. The source is read once (one
 * snapshot, one cursor read, one replication slot) and every sink receives every change:
 * <pre>
 * sinks:
 *   analytics: { type: clickhouse, url: "http://olap:8123" }
 *   cache:     { type: redis, url: "redis://cache:6379", targets: { orders: orders_cache },
 *                deadLetter: { type: jsonl, path: cache-rejected.jsonl } }
 * engine:      { sink.lag.policy: detach, sink.max.lag: 5m }
 * </pre>
 *
 * Values of the form {@code ${env:NAME}} are replaced by the environment variable (keep secrets out of
 * files). Every error names the key, e.g. {@code sink.url} or {@code tables[2].strategy}. Immutable.
 */
public final class PipelineConfig {

    /** The engine's own settings (the {@code engine} section). */
    public static final ConfigDef ENGINE = ConfigDef.builder()
            .optional("batch.rows", ConfigType.INT, "10000", Validator.range(1, 10_000_000), "most events per batch written to the sink")
            .optional("read.rows", ConfigType.INT, "0", Validator.range(0, 10_000_000),
                    "most rows per source read (also bounded by batch.bytes); 0 = batch.rows")
            .optional("batch.bytes", ConfigType.SIZE, "32MB", Validator.atLeast(1024), "most estimated bytes per batch")
            .optional("queue.capacity", ConfigType.INT, "4", Validator.range(1, 1000), "batches read ahead of the writer, per table")
            .optional("flush.rows", ConfigType.LONG, "0", Validator.atLeast(0),
                    "rows written between sink flushes and checkpoints; 0 = after every batch")
            .optional("parallelism", ConfigType.INT, "1", Validator.range(1, 256), "tables synced at the same time")
            .optional("poll.interval", ConfigType.DURATION, "10s", PipelineConfig::positive, "continuous mode: time between incremental polls")
            .optional("stream.idle", ConfigType.DURATION, "2s", PipelineConfig::positive, "run once with CDC tables: stop after the feed was idle this long")
            .optional("stream.catchup.timeout", ConfigType.DURATION, "10m", PipelineConfig::positive, "run once with CDC tables: how long the feed may"
                    + " take to deliver everything committed before the run started; past it the feed's tables fail")
            .optional("lease.wait", ConfigType.DURATION, "15s", "how long a run waits for the pipeline's lease while another"
                    + " holder has it (a process killed a moment ago) before it fails naming the holder")
            .optional("feed.lost", ConfigType.STRING, "resnapshot", Validator.oneOf("resnapshot", "fail"),
                    "when the change feed cannot resume (slot dropped, history gone): snapshot its tables again, or fail")
            .optional("progress.interval", ConfigType.DURATION, "10s", PipelineConfig::positive, "how often progress is logged")
            .optional("truncate.before.snapshot", ConfigType.BOOLEAN, "true", "empty the target before a fresh full snapshot (when the sink can)")
            .optional("retry.max.attempts", ConfigType.INT, "6", Validator.range(1, 1000), "attempts for transient errors, the first included")
            .optional("retry.initial.backoff", ConfigType.DURATION, "200ms", "wait before the first retry; doubles each retry")
            .optional("retry.max.backoff", ConfigType.DURATION, "30s", "longest wait between retries")
            .optional("stop.timeout", ConfigType.DURATION, "1m", "how long a stop waits for the batch in progress; past it,"
                    + " closing closes the connections under a run stuck in a call")
            .optional("feed.warn.retained", ConfigType.SIZE, "1GB", Validator.atLeast(0),
                    "the change feed's retained log (a replication slot's WAL) above which a warning is logged and reported; 0 = off")
            .optional("sink.lag.policy", ConfigType.STRING, "detach", Validator.oneOf("detach", "pause"),
                    "several sinks: a sink failing past sink.max.lag is detached (the others go on; it is snapshotted again"
                            + " before it rejoins) or pauses the pipeline (nothing is checkpointed until it is back)")
            .optional("sink.max.lag", ConfigType.DURATION, "5m", "several sinks: how long a failing sink is retried, or a"
                    + " slow one waited for, while the others wait, before sink.lag.policy applies")
            .build();

    /** The dead-letter settings (the {@code deadLetter} section). */
    public static final ConfigDef DEAD_LETTER = ConfigDef.builder()
            .optional("type", ConfigType.STRING, "fail", Validator.oneOf("fail", "log", "jsonl"),
                    "fail: the first rejected record fails the table; log: log and skip; jsonl: append to a file")
            .optional("limit", ConfigType.LONG, "1000", Validator.atLeast(0), "for log and jsonl: most records skipped before the table fails")
            .optional("path", ConfigType.STRING, "dbsync-dead-letters.jsonl", "for jsonl: the file")
            .build();

    private static String positive(Object duration) {
        java.time.Duration d = (java.time.Duration) duration;
        return d.isZero() || d.isNegative() ? "must be positive, got " + d : null;
    }

    private static final Set<String> SECTIONS = Set.of("pipeline", "source", "sink", "sinks", "checkpoints", "tables", "engine",
            "deadLetter");
    private static final Set<String> TABLE_KEYS = Set.of("table", "strategy", "key", "cursor", "softDelete",
            "softDeleteValue", "target", "continueIncrementally");
    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    private final String pipeline;
    private final String sourceType;
    private final Map<String, Object> source;
    private final String sinkType;
    private final Map<String, Object> sink;
    /** The named sinks of a pipeline with several; empty with one {@code sink}. */
    private final Map<String, NamedSink> sinks;
    private final String storeType;
    private final Map<String, Object> store;
    private final List<TableSync> tables;
    private final Config engine;
    private final Config deadLetter;

    private PipelineConfig(Map<String, Object> raw, Function<String, String> env) {
        // every mistake is reported at once, each naming its key
        List<ConfigException> problems = new ArrayList<>();
        for (String k : raw.keySet()) {
            if (!SECTIONS.contains(k)) {
                problems.add(new ConfigException(k, "unknown section; known sections are " + new TreeMap<>(toMap(SECTIONS)).keySet()));
            }
        }
        Object p = raw.get("pipeline");
        if (p == null || String.valueOf(p).isBlank()) {
            problems.add(new ConfigException("pipeline", "required: the pipeline name (checkpoints are kept under it)"));
        }
        this.pipeline = String.valueOf(p);
        Map<String, Object> src = collect(problems, () -> section(raw, "source", env, true));
        this.sourceType = src == null ? null : collect(problems, () -> type(src, "source"));
        this.source = src;
        this.sinks = new LinkedHashMap<>();
        Map<String, Object> snk;
        if (raw.containsKey("sinks")) {
            if (raw.containsKey("sink")) {
                problems.add(new ConfigException("sink", "give either one sink or several under sinks, not both"));
            }
            collect(problems, () -> namedSinks(raw.get("sinks"), env, sinks, problems));
            NamedSink first = sinks.isEmpty() ? null : sinks.values().iterator().next();
            snk = first == null ? null : first.settings();
            this.sinkType = first == null ? null : first.type();
        } else {
            snk = collect(problems, () -> section(raw, "sink", env, true));
            this.sinkType = snk == null ? null : collect(problems, () -> type(snk, "sink"));
        }
        this.sink = snk;
        Map<String, Object> st = collect(problems, () -> section(raw, "checkpoints", env, false));
        this.storeType = st == null ? null : st.isEmpty() && !raw.containsKey("checkpoints") ? "file"
                : collect(problems, () -> type(st, "checkpoints"));
        this.store = st;
        Map<Integer, TableSync> parsed = new java.util.TreeMap<>();
        collect(problems, () -> tables(raw.get("tables"), parsed, problems));
        this.tables = List.copyOf(parsed.values());
        {
            Set<String> ids = new java.util.HashSet<>();
            Map<String, String> targets = new LinkedHashMap<>();
            for (Map.Entry<Integer, TableSync> en : parsed.entrySet()) {
                int i = en.getKey();
                TableSync t = en.getValue();
                if (!ids.add(t.id())) {
                    problems.add(new ConfigException("tables[" + i + "].table", "table '" + t.id() + "' is listed twice"));
                }
                String before = targets.putIfAbsent(t.target(), t.id());
                if (before != null && !before.equals(t.id())) {
                    problems.add(new ConfigException("tables[" + i + "].target", "tables '" + before + "' and '" + t.id()
                            + "' both write to target '" + t.target() + "'"));
                }
            }
        }
        this.engine = collect(problems, () -> prefixed("engine", () -> Config.of(ENGINE, section(raw, "engine", env, false))));
        this.deadLetter = collect(problems, () -> prefixed("deadLetter", () -> Config.of(DEAD_LETTER, section(raw, "deadLetter", env, false))));
        if (!problems.isEmpty()) {
            throw ConfigException.of(problems);
        }
    }

    /** One sink of a pipeline with several: its connector, settings and own target names. */
    /** @param deadLetter its own dead-letter settings; null: the pipeline's */
    private record NamedSink(String type, Map<String, Object> settings, Map<String, String> targets, Config deadLetter) {
    }

    private static Void namedSinks(Object raw, Function<String, String> env, Map<String, NamedSink> out,
                                   List<ConfigException> problems) {
        if (!(raw instanceof Map) || ((Map<?, ?>) raw).isEmpty()) {
            throw new ConfigException("sinks", "expected a map from each sink's name to its settings");
        }
        for (Map.Entry<?, ?> e : ((Map<?, ?>) raw).entrySet()) {
            String name = String.valueOf(e.getKey());
            String at = "sinks." + name;
            if (name.isBlank() || name.contains("/")) {
                problems.add(new ConfigException(at, "a sink name must not be empty nor contain '/'"));
                continue;
            }
            Map<String, Object> wrapper = new LinkedHashMap<>();
            wrapper.put(at, e.getValue());
            Map<String, Object> settings = collect(problems, () -> section(wrapper, at, env, true));
            if (settings == null) {
                continue;
            }
            String type = collect(problems, () -> type(settings, at));
            Object t = settings.remove("targets");
            Map<String, String> targets = new LinkedHashMap<>();
            if (t instanceof Map) {
                ((Map<?, ?>) t).forEach((k, v) -> targets.put(String.valueOf(k), String.valueOf(v)));
            } else if (t != null) {
                problems.add(new ConfigException(at + ".targets", "expected a map from the pipeline's target name to this sink's"));
            }
            Object dl = settings.remove("deadLetter");
            Config deadLetter = null;
            if (dl instanceof Map) {
                Map<String, Object> m = new LinkedHashMap<>();
                ((Map<?, ?>) dl).forEach((k, v) -> m.put(String.valueOf(k), v));
                deadLetter = collect(problems, () -> prefixed(at + ".deadLetter", () -> Config.of(DEAD_LETTER, m)));
            } else if (dl != null) {
                problems.add(new ConfigException(at + ".deadLetter", "expected a map like the pipeline's deadLetter section"
                        + " (type: fail|log|jsonl, limit, path)"));
            }
            if (type != null) {
                out.put(name, new NamedSink(type, settings, targets, deadLetter));
            }
        }
        return null;
    }

    /** The supplier's value, or null after adding its {@link ConfigException} to {@code problems}. */
    private static <T> T collect(List<ConfigException> problems, java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (ConfigException e) {
            problems.add(e);
            return null;
        }
    }

    private static Map<String, Object> toMap(Set<String> s) {
        Map<String, Object> m = new LinkedHashMap<>();
        s.forEach(k -> m.put(k, k));
        return m;
    }

    /** Reads a pipeline file: {@code .yaml}/{@code .yml}, {@code .json} or {@code .properties}. */
    public static PipelineConfig load(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (name.endsWith(".properties")) {
                Properties props = new Properties();
                try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    props.load(r);
                }
                return fromProperties(props);
            }
            ObjectMapper mapper = name.endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
            // a key given twice (a second 'source:') is a mistake, not "the last one wins"
            mapper.enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            Object tree = mapper.readValue(file.toFile(), Object.class);
            if (!(tree instanceof Map)) {
                throw new ConfigException(null, file + ": expected a map of sections at the top level");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> map = (Map<String, Object>) tree;
            return fromMap(map);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new ConfigException(null, "pipeline file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException(null, "cannot parse pipeline file " + file + ": " + e.getMessage());
        }
    }

    /** A pipeline from nested maps, as YAML or JSON would give. */
    public static PipelineConfig fromMap(Map<String, Object> raw) {
        return new PipelineConfig(requireNonNull(raw, "raw is null"), System::getenv);
    }

    /** Same, with another environment for {@code ${env:NAME}} (for tests). */
    static PipelineConfig fromMap(Map<String, Object> raw, Function<String, String> env) {
        return new PipelineConfig(raw, env);
    }

    /**
     * A pipeline from flat properties: {@code pipeline=…}, {@code source.type=…}, {@code source.url=…},
     * {@code tables.0.table=…}, {@code tables.0.cursor=updated_at,created_at}, {@code engine.batch.rows=…}.
     */
    public static PipelineConfig fromProperties(Properties props) {
        Map<String, Object> raw = new LinkedHashMap<>();
        Map<Integer, Map<String, Object>> tables = new TreeMap<>();
        for (String k : props.stringPropertyNames()) {
            String v = props.getProperty(k);
            int dot = k.indexOf('.');
            if (dot < 0) {
                raw.put(k, v);
                continue;
            }
            String section = k.substring(0, dot);
            String rest = k.substring(dot + 1);
            if (section.equals("tables")) {
                int d2 = rest.indexOf('.');
                if (d2 < 0) {
                    throw new ConfigException(k, "expected tables.<index>.<field>");
                }
                int index;
                try {
                    index = Integer.parseInt(rest.substring(0, d2));
                } catch (NumberFormatException e) {
                    throw new ConfigException(k, "expected tables.<index>.<field> with a number as index");
                }
                String field = rest.substring(d2 + 1);
                tables.computeIfAbsent(index, i -> new LinkedHashMap<>())
                        .put(field, field.equals("cursor") || field.equals("key") ? List.of(v.split("\\s*,\\s*")) : v);
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) raw.computeIfAbsent(section, s -> new LinkedHashMap<String, Object>());
                m.put(rest, v);
            }
        }
        if (!tables.isEmpty()) {
            raw.put("tables", new ArrayList<>(tables.values()));
        }
        return fromMap(raw);
    }

    private interface ConfigSupplier {
        Config get();
    }

    private static Config prefixed(String section, ConfigSupplier s) {
        try {
            return s.get();
        } catch (ConfigException e) {
            List<ConfigException> out = new ArrayList<>();
            for (ConfigException p : e.problems()) {
                out.add(new ConfigException(p.key() == null ? section : section + "." + p.key(), stripPrefix(p)));
            }
            throw ConfigException.of(out);
        }
    }

    private static String stripPrefix(ConfigException e) {
        String m = e.getMessage();
        String prefix = "invalid setting '" + e.key() + "': ";
        return e.key() != null && m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    private static Map<String, Object> section(Map<String, Object> raw, String name, Function<String, String> env, boolean required) {
        Object s = raw.get(name);
        if (s == null) {
            if (required) {
                throw new ConfigException(name, "required section is missing");
            }
            return new LinkedHashMap<>();
        }
        if (!(s instanceof Map)) {
            throw new ConfigException(name, "expected a map of settings");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) s).entrySet()) {
            String key = String.valueOf(e.getKey());
            out.put(key, substitute(name + "." + key, e.getValue(), env));
        }
        return out;
    }

    private static Object substitute(String key, Object v, Function<String, String> env) {
        if (!(v instanceof String)) {
            return v;
        }
        Matcher m = ENV.matcher((String) v);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null) {
                throw new ConfigException(key, "environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String type(Map<String, Object> section, String name) {
        Object t = section.remove("type");
        if (t == null || String.valueOf(t).isBlank()) {
            throw new ConfigException(name + ".type", "required: which connector to use");
        }
        return String.valueOf(t);
    }

    /** Parses the tables into {@code out} by index; a table's mistakes go to {@code problems}. */
    private static Void tables(Object raw, Map<Integer, TableSync> out, List<ConfigException> problems) {
        if (!(raw instanceof List) || ((List<?>) raw).isEmpty()) {
            throw new ConfigException("tables", "required: a non-empty list of tables");
        }
        List<?> list = (List<?>) raw;
        for (int i = 0; i < list.size(); i++) {
            int index = i;
            TableSync t = collect(problems, () -> table(list.get(index), "tables[" + index + "]"));
            if (t != null) {
                out.put(i, t);
            }
        }
        return null;
    }

    private static TableSync table(Object o, String at) {
        {
            if (o instanceof String) {
                return TableSync.full(TableSpec.of((String) o));
            }
            if (!(o instanceof Map)) {
                throw new ConfigException(at, "expected a table name or a map with table, strategy, cursor, …");
            }
            Map<?, ?> m = (Map<?, ?>) o;
            for (Object k : m.keySet()) {
                if (!TABLE_KEYS.contains(String.valueOf(k))) {
                    throw new ConfigException(at + "." + k, "unknown field; known fields are " + new TreeMap<>(toMap(TABLE_KEYS)).keySet());
                }
            }
            Object table = m.get("table");
            if (table == null || String.valueOf(table).isBlank()) {
                throw new ConfigException(at + ".table", "required: the source table name");
            }
            Strategy strategy;
            try {
                strategy = Strategy.valueOf(String.valueOf(m.containsKey("strategy") ? m.get("strategy") : "full").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at + ".strategy", "must be one of full, incremental, cdc; got '" + m.get("strategy") + "'");
            }
            Object soft = m.get("softDelete");
            TableSpec spec;
            try {
                spec = new TableSpec(String.valueOf(table), strings(m.get("key"), at + ".key"),
                        strings(m.get("cursor"), at + ".cursor"), soft == null ? null : String.valueOf(soft),
                        m.get("softDeleteValue") == null ? null : String.valueOf(m.get("softDeleteValue")));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at, e.getMessage());
            }
            Object target = m.get("target");
            String contText = String.valueOf(m.containsKey("continueIncrementally") ? m.get("continueIncrementally") : "false");
            if (!contText.equalsIgnoreCase("true") && !contText.equalsIgnoreCase("false")) {
                throw new ConfigException(at + ".continueIncrementally", "expected true or false, got '" + contText + "'");
            }
            boolean cont = Boolean.parseBoolean(contText);
            try {
                return new TableSync(spec, strategy, target == null ? null : String.valueOf(target), cont);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at, e.getMessage());
            }
        }
    }

    private static List<String> strings(Object v, String key) {
        if (v == null) {
            return List.of();
        }
        if (v instanceof List) {
            List<String> out = new ArrayList<>();
            ((List<?>) v).forEach(x -> out.add(String.valueOf(x)));
            return out;
        }
        if (v instanceof String) {
            return List.of(((String) v).split("\\s*,\\s*"));
        }
        throw new ConfigException(key, "expected a column name or a list of column names");
    }

    public String pipeline() {
        return pipeline;
    }

    public String sourceType() {
        return sourceType;
    }

    /** The sink's connector; with several sinks, the first one's. */
    public String sinkType() {
        return sinkType;
    }

    /** The names of the sinks of a pipeline with several, in order; empty with one {@code sink}. */
    public List<String> sinkNames() {
        return List.copyOf(sinks.keySet());
    }

    /**
     * This pipeline as seen by one of its several sinks: the same source, checkpoints and tables, that sink alone
     * (its own target names applied); for verifying each sink. Throws naming the sink when there is none such.
     */
    public PipelineConfig forSink(String name) {
        NamedSink n = sinks.get(name);
        if (n == null) {
            throw new ConfigException("sinks", "no sink named '" + name + "'; the pipeline's sinks are " + sinks.keySet());
        }
        return new PipelineConfig(this, n);
    }

    private PipelineConfig(PipelineConfig all, NamedSink one) {
        this.pipeline = all.pipeline;
        this.sourceType = all.sourceType;
        this.source = all.source;
        this.sinkType = one.type();
        this.sink = one.settings();
        this.sinks = new LinkedHashMap<>();
        this.storeType = all.storeType;
        this.store = all.store;
        List<TableSync> renamed = new ArrayList<>();
        for (TableSync t : all.tables) {
            String target = one.targets().get(t.target());
            renamed.add(target == null ? t : t.withTarget(target));
        }
        this.tables = List.copyOf(renamed);
        this.engine = all.engine;
        this.deadLetter = all.deadLetter;
    }

    public String checkpointStoreType() {
        return storeType;
    }

    public List<TableSync> tables() {
        return tables;
    }

    /** The source section's settings (without {@code type}), environment references resolved; unmodifiable. */
    public Map<String, Object> sourceSettings() {
        return Collections.unmodifiableMap(source);
    }

    /** The sink section's settings (without {@code type}), environment references resolved; unmodifiable. */
    public Map<String, Object> sinkSettings() {
        return Collections.unmodifiableMap(sink);
    }

    /** The engine settings, validated. */
    public Config engine() {
        return engine;
    }

    /**
     * Checks the connector sections against the declared settings of the named connectors, without connecting.
     * Throws a {@link ConfigException} naming e.g. {@code sink.url}.
     */
    public void validate(Connectors connectors) {
        List<ConfigException> problems = new ArrayList<>();
        SourceFactory sf = collect(problems, () -> renamed("source.type", () -> connectors.source(sourceType)));
        if (sf != null) {
            collect(problems, () -> prefixed("source", () -> Config.of(sf.configDef(), source)));
            if (!sf.offersChangeFeed()) {
                for (int i = 0; i < tables.size(); i++) {
                    if (tables.get(i).strategy() == Strategy.CDC) {
                        problems.add(new ConfigException("tables[" + i + "].strategy", "cdc needs a source with a change feed;"
                                + " source '" + sourceType + "' has none (use incremental with a cursor)"));
                    }
                }
            }
        }
        if (sinks.isEmpty()) {
            SinkFactory kf = collect(problems, () -> renamed("sink.type", () -> connectors.sink(sinkType)));
            if (kf != null) {
                collect(problems, () -> prefixed("sink", () -> Config.of(kf.configDef(), sink)));
            }
        } else {
            for (Map.Entry<String, NamedSink> n : sinks.entrySet()) {
                String at = "sinks." + n.getKey();
                SinkFactory kf = collect(problems, () -> renamed(at + ".type", () -> connectors.sink(n.getValue().type())));
                if (kf != null) {
                    collect(problems, () -> prefixed(at, () -> Config.of(kf.configDef(), n.getValue().settings())));
                }
            }
            if (storeType.equals("sink")) {
                problems.add(new ConfigException("checkpoints.type", "a pipeline with several sinks keeps its checkpoints in"
                        + " a store of its own (e.g. file), not in one of the sinks"));
            }
        }
        if (!storeType.equals("sink")) {
            CheckpointStoreFactory cf = collect(problems, () -> renamed("checkpoints.type", () -> connectors.checkpointStore(storeType)));
            if (cf != null) {
                collect(problems, () -> prefixed("checkpoints", () -> Config.of(cf.configDef(), store)));
            }
        }
        if (!problems.isEmpty()) {
            throw ConfigException.of(problems);
        }
    }

    /** The supplier's value; its {@link ConfigException} renamed to {@code key}. */
    private static <T> T renamed(String key, java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (ConfigException e) {
            throw new ConfigException(key, stripPrefix(e));
        }
    }

    /** The connector settings with secrets masked, for logs and reports. */
    public Map<String, Object> describe(Connectors connectors) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pipeline", pipeline);
        out.put("source", sourceType + " " + Config.of(connectors.source(sourceType).configDef(), source).masked());
        if (sinks.isEmpty()) {
            out.put("sink", sinkType + " " + Config.of(connectors.sink(sinkType).configDef(), sink).masked());
        } else {
            sinks.forEach((name, n) -> out.put("sinks." + name, n.type() + " "
                    + Config.of(connectors.sink(n.type()).configDef(), n.settings()).masked()
                    + (n.targets().isEmpty() ? "" : " targets " + n.targets())));
        }
        out.put("checkpoints", storeType);
        out.put("tables", tables.size());
        out.put("engine", engine.masked());
        return out;
    }

    /**
     * Validates, creates the connectors and returns a builder with everything set (tables, engine settings,
     * dead letters); the caller may add a listener and builds. Checkpoint type {@code sink} uses the sink's
     * own store.
     */
    public SyncEngine.Builder toEngine(Connectors connectors) {
        validate(connectors);
        Source src = connectors.createSource(sourceType, source);
        Sink snk = null;
        Map<String, Sink> named = new LinkedHashMap<>();
        try {
            if (sinks.isEmpty()) {
                snk = connectors.createSink(sinkType, sink);
            } else {
                for (Map.Entry<String, NamedSink> n : sinks.entrySet()) {
                    named.put(n.getKey(), connectors.createSink(n.getValue().type(), n.getValue().settings()));
                }
            }
        } catch (RuntimeException e) {
            named.values().forEach(Sink::close);
            src.close();
            throw e;
        }
        CheckpointStore st;
        try {
            if (storeType.equals("sink") && snk != null) {
                st = snk.checkpointStore().orElseThrow(() -> new ConfigException("checkpoints.type",
                        "the sink '" + sinkType + "' keeps no checkpoints; use file"));
            } else {
                st = connectors.createCheckpointStore(storeType, store);
            }
        } catch (RuntimeException e) {
            if (snk != null) {
                snk.close();
            }
            named.values().forEach(Sink::close);
            src.close();
            throw e;
        }
        SyncEngine.Builder b = SyncEngine.builder().pipeline(pipeline).source(src).checkpointStore(st);
        if (snk != null) {
            b.sink(snk);
        }
        named.forEach((name, k) -> {
            NamedSink n = sinks.get(name);
            b.sink(name, k, n.targets(), n.deadLetter() == null ? null : deadLetterHandler(n.deadLetter()));
        });
        b.sinkLagPolicy(engine.getString("sink.lag.policy").equals("pause") ? SinkLagPolicy.PAUSE : SinkLagPolicy.DETACH)
                .sinkMaxLag(engine.getDuration("sink.max.lag"))
                .feedWarnRetained(engine.getSize("feed.warn.retained"))
                .stopTimeout(engine.getDuration("stop.timeout"))
                .tables(tables)
                .batchRows(engine.getInt("batch.rows"))
                .readRows(engine.getInt("read.rows"))
                .batchBytes(engine.getSize("batch.bytes"))
                .queueCapacity(engine.getInt("queue.capacity"))
                .flushRows(engine.getLong("flush.rows"))
                .parallelism(engine.getInt("parallelism"))
                .pollInterval(engine.getDuration("poll.interval"))
                .streamIdle(engine.getDuration("stream.idle"))
                .streamCatchUpTimeout(engine.getDuration("stream.catchup.timeout"))
                .resnapshotWhenFeedLost(engine.getString("feed.lost").equals("resnapshot"))
                .leaseWait(engine.getDuration("lease.wait"))
                .progressInterval(engine.getDuration("progress.interval"))
                .truncateBeforeSnapshot(engine.getBoolean("truncate.before.snapshot"))
                .retryPolicy(new RetryPolicy(engine.getInt("retry.max.attempts"), engine.getDuration("retry.initial.backoff"),
                        engine.getDuration("retry.max.backoff"), 0.2));
        b.deadLetterHandler(deadLetterHandler(deadLetter));
        return b;
    }

    private static DeadLetterHandler deadLetterHandler(Config settings) {
        switch (settings.getString("type").toLowerCase(Locale.ROOT)) {
            case "log":
                return DeadLetterHandler.logAndSkip(settings.getLong("limit"));
            case "jsonl":
                return DeadLetterHandler.jsonl(Path.of(settings.getString("path")), settings.getLong("limit"));
            default:
                return DeadLetterHandler.failFast();
        }
    }
}
