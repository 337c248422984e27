package dev.dbsync.config;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The declared settings of a connector or of the engine. Immutable once built; the builder is not
 * thread-safe, the built definition is.
 *
 * <pre>{@code
 * ConfigDef def = ConfigDef.builder()
 *     .required("url", ConfigType.STRING, Validator.startsWith("jdbc:postgresql:"), "JDBC URL of the database")
 *     .optional("user", ConfigType.STRING, "postgres", "user name")
 *     .secret("password", null, "password")
 *     .build();
 * }</pre>
 */
public final class ConfigDef {

    private final Map<String, ConfigKey> keys;

    private ConfigDef(Map<String, ConfigKey> keys) {
        this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** An empty definition (a connector without settings). */
    public static ConfigDef empty() {
        return new ConfigDef(Map.of());
    }

    /** The keys in declaration order; never null. */
    public Collection<ConfigKey> keys() {
        return keys.values();
    }

    /** The declared key, or null. */
    public ConfigKey key(String name) {
        return keys.get(name);
    }

    /** Validates raw values (strings, numbers, lists) and returns the parsed config; see {@link Config#of}. */
    public Config parse(Map<String, ?> raw) {
        return Config.of(this, raw);
    }

    /** Builds a {@link ConfigDef}. */
    public static final class Builder {
        private final Map<String, ConfigKey> keys = new LinkedHashMap<>();

        private Builder() {
        }

        /** Adds a key; a name declared twice is a programming error. */
        public Builder define(ConfigKey key) {
            requireNonNull(key, "key is null");
            if (keys.putIfAbsent(key.name(), key) != null) {
                throw new IllegalArgumentException("setting '" + key.name() + "' is declared twice");
            }
            return this;
        }

        /** A setting the user must give. */
        public Builder required(String name, ConfigType type, Validator validator, String doc) {
            return define(new ConfigKey(name, type, null, true, validator, doc, false));
        }

        /** A setting with a default (null = absent unless given). */
        public Builder optional(String name, ConfigType type, String defaultValue, String doc) {
            return define(new ConfigKey(name, type, defaultValue, false, Validator.any(), doc, false));
        }

        /** A setting with a default and a validator. */
        public Builder optional(String name, ConfigType type, String defaultValue, Validator validator, String doc) {
            return define(new ConfigKey(name, type, defaultValue, false, validator, doc, false));
        }

        /** A secret string (password, token), masked wherever config is printed. */
        public Builder secret(String name, String defaultValue, String doc) {
            return define(new ConfigKey(name, ConfigType.STRING, defaultValue, false, Validator.any(), doc, true));
        }

        /** Adds every key of another definition (e.g. shared connection settings). */
        public Builder include(ConfigDef other) {
            other.keys().forEach(this::define);
            return this;
        }

        public ConfigDef build() {
            return new ConfigDef(keys);
        }
    }
}
