package dev.dbsync.config;

/** The type of a setting and the Java type {@link Config} returns for it. */
public enum ConfigType {
    /** {@link String}. */
    STRING,
    /** {@link Integer}. */
    INT,
    /** {@link Long}. */
    LONG,
    /** {@link Double}. */
    DOUBLE,
    /** {@link Boolean}: {@code true} or {@code false}, case-insensitive. */
    BOOLEAN,
    /** {@link java.time.Duration}: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d} or ISO-8601 {@code PT5S}. */
    DURATION,
    /** {@link Long} bytes: {@code 512}, {@code 64KB}, {@code 16MB}, {@code 1GB} (powers of 1024). */
    SIZE,
    /** {@code List<String>}: a YAML/JSON list or a comma-separated string. */
    LIST
}
