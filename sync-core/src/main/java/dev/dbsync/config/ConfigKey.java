package dev.dbsync.config;

import static java.util.Objects.requireNonNull;

/**
 * One declared setting.
 *
 * @param name         the key, e.g. {@code url} or {@code batch.rows}; never null
 * @param type         the value type; never null
 * @param defaultValue the default as text (parsed like user input); null when there is none
 * @param required     whether the user must give a value (then there is no default)
 * @param validator    checks parsed values; never null
 * @param doc          what the setting does, for docs and listings; never null
 * @param secret       whether the value is masked in toString, logs and reports
 */
public record ConfigKey(String name, ConfigType type, String defaultValue, boolean required,
                        Validator validator, String doc, boolean secret) {

    public ConfigKey {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
        requireNonNull(validator, "validator is null");
        requireNonNull(doc, "doc is null");
        if (required && defaultValue != null) {
            throw new IllegalArgumentException("setting '" + name + "' is required and has a default");
        }
    }
}
