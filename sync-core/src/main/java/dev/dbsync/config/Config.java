package dev.dbsync.config;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.ConfigException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Validated, typed setting values of one {@link ConfigDef}. Immutable and thread-safe. {@link #toString()}
 * masks secret values.
 */
public final class Config {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|k|mb|m|gb|g)?");

    private final ConfigDef def;
    private final Map<String, Object> values;

    private Config(ConfigDef def, Map<String, Object> values) {
        this.def = def;
        this.values = Collections.unmodifiableMap(values);
    }

    /**
     * Parses and validates {@code raw} against {@code def}: unknown keys, missing required keys, values of
     * the wrong type and values the validator refuses all fail with a {@link ConfigException} naming the
     * key. Raw values may be strings or already typed (numbers, booleans, lists).
     */
    public static Config of(ConfigDef def, Map<String, ?> raw) {
        requireNonNull(def, "def is null");
        requireNonNull(raw, "raw is null");
        List<ConfigException> problems = new ArrayList<>();
        for (String k : raw.keySet()) {
            if (def.key(k) == null) {
                List<String> known = new ArrayList<>();
                def.keys().forEach(key -> known.add(key.name()));
                problems.add(new ConfigException(k, "unknown setting; known settings are " + known));
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (ConfigKey key : def.keys()) {
            Object v = raw.get(key.name());
            if (v == null || (v instanceof String && ((String) v).isEmpty() && key.type() != ConfigType.STRING)) {
                if (key.required()) {
                    problems.add(new ConfigException(key.name(), "required but not set (" + key.doc() + ")"));
                    continue;
                }
                v = key.defaultValue();
            }
            if (v == null) {
                continue;
            }
            Object parsed;
            try {
                parsed = parse(key, v);
            } catch (ConfigException e) {
                problems.add(key.secret() ? secretProblem(key) : new ConfigException(key.name(), Secrets.redact(stripKey(e))));
                continue;
            }
            String problem = key.validator().check(parsed);
            if (problem != null) {
                // a validator's message may quote the value; a secret's value is never shown, nor a password in a URL
                problems.add(key.secret() ? secretProblem(key) : new ConfigException(key.name(), Secrets.redact(problem)));
                continue;
            }
            values.put(key.name(), parsed);
        }
        if (!problems.isEmpty()) {
            throw ConfigException.of(problems);
        }
        return new Config(def, values);
    }

    private static String stripKey(ConfigException e) {
        String m = e.getMessage();
        String prefix = "invalid setting '" + e.key() + "': ";
        return e.key() != null && m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    private static ConfigException secretProblem(ConfigKey key) {
        return new ConfigException(key.name(), "the value is not valid (not shown: the setting is secret)");
    }

    /** Same as {@link #of(ConfigDef, Map)} for {@link Properties}. */
    public static Config of(ConfigDef def, Properties props) {
        Map<String, Object> raw = new LinkedHashMap<>();
        props.stringPropertyNames().forEach(n -> raw.put(n, props.getProperty(n)));
        return of(def, raw);
    }

    private static Object parse(ConfigKey key, Object v) {
        String name = key.name();
        String s = v instanceof String ? ((String) v).trim() : null;
        try {
            switch (key.type()) {
                case STRING:
                    if (v instanceof Collection || v instanceof Map) {
                        throw new ConfigException(name, "expected a string, got a " + (v instanceof Map ? "map" : "list"));
                    }
                    return String.valueOf(v);
                case INT:
                    if (v instanceof Number) {
                        long l = ((Number) v).longValue();
                        if (l != ((Number) v).doubleValue() || l > Integer.MAX_VALUE || l < Integer.MIN_VALUE) {
                            throw new ConfigException(name, "expected an integer, got " + v);
                        }
                        return (int) l;
                    }
                    return Integer.valueOf(requireText(name, s, v));
                case LONG:
                    if (v instanceof Number) {
                        Number num = (Number) v;
                        if ((v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal)
                                && num.doubleValue() != Math.rint(num.doubleValue())) {
                            throw new ConfigException(name, "expected a whole number, got " + v);
                        }
                        return num.longValue();
                    }
                    return Long.valueOf(requireText(name, s, v));
                case DOUBLE:
                    if (v instanceof Number) {
                        return ((Number) v).doubleValue();
                    }
                    return Double.valueOf(requireText(name, s, v));
                case BOOLEAN:
                    if (v instanceof Boolean) {
                        return v;
                    }
                    String b = requireText(name, s, v).toLowerCase(Locale.ROOT);
                    if (!b.equals("true") && !b.equals("false")) {
                        throw new ConfigException(name, "expected true or false, got '" + v + "'");
                    }
                    return Boolean.valueOf(b);
                case DURATION:
                    return parseDuration(name, v);
                case SIZE:
                    return parseSize(name, v);
                case LIST:
                    return parseList(v);
                default:
                    throw new IllegalStateException("unhandled type " + key.type());
            }
        } catch (NumberFormatException e) {
            throw new ConfigException(name, "expected " + key.type().name().toLowerCase(Locale.ROOT) + ", got '" + v + "'");
        }
    }

    private static String requireText(String name, String s, Object v) {
        if (s == null) {
            throw new ConfigException(name, "expected a scalar value, got " + v);
        }
        return s;
    }

    static Duration parseDuration(String name, Object v) {
        if (v instanceof Duration) {
            return (Duration) v;
        }
        if (v instanceof Number) {
            return Duration.ofMillis(((Number) v).longValue());
        }
        String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(s);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms": return Duration.ofMillis(n);
                case "s": return Duration.ofSeconds(n);
                case "m": return Duration.ofMinutes(n);
                case "h": return Duration.ofHours(n);
                default: return Duration.ofDays(n);
            }
        }
        try {
            return Duration.parse(s.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new ConfigException(name, "expected a duration like 500ms, 5s, 2m, 1h or PT5S, got '" + v + "'");
        }
    }

    static long parseSize(String name, Object v) {
        if (v instanceof Number) {
            return ((Number) v).longValue();
        }
        Matcher m = SIZE.matcher(String.valueOf(v).trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new ConfigException(name, "expected a size like 512, 64KB, 16MB or 1GB, got '" + v + "'");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new ConfigException(name, "size too large: '" + v + "'");
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        int shift;
        switch (unit) {
            case "kb": case "k": shift = 10; break;
            case "mb": case "m": shift = 20; break;
            case "gb": case "g": shift = 30; break;
            default: shift = 0;
        }
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new ConfigException(name, "size too large: '" + v + "'");
        }
        return n << shift;
    }

    private static List<String> parseList(Object v) {
        List<String> out = new ArrayList<>();
        if (v instanceof Collection) {
            for (Object o : (Collection<?>) v) {
                out.add(String.valueOf(o).trim());
            }
        } else {
            for (String part : String.valueOf(v).split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** The definition these values were validated against. */
    public ConfigDef def() {
        return def;
    }

    /** Whether the key has a value (given or defaulted). */
    public boolean has(String key) {
        return values.containsKey(checkDeclared(key));
    }

    public String getString(String key) {
        return (String) get(key);
    }

    public Integer getInt(String key) {
        return (Integer) get(key);
    }

    public Long getLong(String key) {
        return (Long) get(key);
    }

    public Double getDouble(String key) {
        return (Double) get(key);
    }

    public Boolean getBoolean(String key) {
        return (Boolean) get(key);
    }

    public Duration getDuration(String key) {
        return (Duration) get(key);
    }

    /** A SIZE setting in bytes. */
    public Long getSize(String key) {
        return (Long) get(key);
    }

    @SuppressWarnings("unchecked")
    public List<String> getList(String key) {
        Object v = get(key);
        return v == null ? List.of() : (List<String>) v;
    }

    /** The value, or null when the key has no value and no default. Undeclared keys are a programming error. */
    public Object get(String key) {
        return values.get(checkDeclared(key));
    }

    private String checkDeclared(String key) {
        if (def.key(key) == null) {
            throw new IllegalArgumentException("setting '" + key + "' is not declared");
        }
        return key;
    }

    /**
     * The values with secrets replaced by {@code ****}, for logs and reports; passwords inside URLs of other
     * settings are hidden too ({@link Secrets#redact}).
     */
    public Map<String, Object> masked() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            Object v = e.getValue();
            m.put(e.getKey(), def.key(e.getKey()).secret() ? "****" : v instanceof String ? Secrets.redact((String) v) : v);
        }
        return m;
    }

    /** Names of the secret keys that have values. */
    public Collection<String> secretKeys() {
        TreeSet<String> s = new TreeSet<>();
        def.keys().forEach(k -> {
            if (k.secret() && values.containsKey(k.name())) {
                s.add(k.name());
            }
        });
        return s;
    }

    @Override
    public String toString() {
        return "Config" + masked();
    }
}
