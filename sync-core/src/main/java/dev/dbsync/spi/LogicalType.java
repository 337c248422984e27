package dev.dbsync.spi;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The logical column types of dbsync and the one Java type that carries each of them in a
 * {@link ChangeEvent}. Sinks map these to their native types; sources map their native types to these.
 *
 * <p>Growing the set: the types of {@link #CORE} are what every sink handles. A type added later names a
 * {@link #fallback()} among the older types and a lossless conversion to it ({@link #toFallback(Object)});
 * the engine converts columns of types a sink does not list in {@link Sink#supportedTypes()}, so a sink
 * written before a type existed keeps working and stores its documented fallback form. Source types without a
 * logical type of their own (intervals, network addresses, ranges, money, enums, …) are read as
 * {@link #STRING} in the source database's text form, and the column's {@link Column#sourceType()} says what
 * they were.
 */
public enum LogicalType {
    /** Text of any length: {@link String}. */
    STRING(String.class),
    /** 32-bit signed integer: {@link Integer}. */
    INT32(Integer.class),
    /** 64-bit signed integer: {@link Long}. */
    INT64(Long.class),
    /** Exact decimal with the column's precision and scale: {@link BigDecimal}. */
    DECIMAL(BigDecimal.class),
    /** 64-bit floating point: {@link Double}. */
    FLOAT64(Double.class),
    /** {@link Boolean}. */
    BOOLEAN(Boolean.class),
    /** Binary data: {@code byte[]}. */
    BYTES(byte[].class),
    /** {@link UUID}. */
    UUID(java.util.UUID.class),
    /** Calendar date without time zone: {@link LocalDate}. */
    DATE(LocalDate.class),
    /** Date and time without time zone: {@link LocalDateTime}. */
    TIMESTAMP(LocalDateTime.class),
    /** An instant on the time line: {@link Instant} ({@link java.time.OffsetDateTime} is accepted too). */
    TIMESTAMP_TZ(Instant.class),
    /** A JSON value or document: {@link Map}, {@link List}, or a JSON scalar ({@link String}, number, Boolean). */
    JSON(Object.class),
    /** An array of {@link Column#elementType()} values: {@link List}. */
    ARRAY(List.class),
    /**
     * Time of day without time zone, up to nanoseconds: {@link LocalTime}. Not in {@link #CORE}: falls back to
     * {@link #STRING} in ISO-8601 form ({@code 13:45:30.123456}).
     */
    TIME(LocalTime.class);

    /** The types of SPI 1.0, which every sink handles; newer types fall back to one of these. */
    public static final Set<LogicalType> CORE = java.util.Collections.unmodifiableSet(EnumSet.of(STRING, INT32, INT64,
            DECIMAL, FLOAT64, BOOLEAN, BYTES, UUID, DATE, TIMESTAMP, TIMESTAMP_TZ, JSON, ARRAY));

    private final Class<?> javaType;

    LogicalType(Class<?> javaType) {
        this.javaType = javaType;
    }

    /** The Java type that carries values of this logical type; never null. */
    public Class<?> javaType() {
        return javaType;
    }

    /**
     * The type a sink that does not support this one receives instead; null for the {@link #CORE} types,
     * which every sink supports.
     */
    public LogicalType fallback() {
        return this == TIME ? STRING : null;
    }

    /**
     * Converts a value of this type to its {@link #fallback()} type, without loss ({@code null} stays null);
     * a core type returns the value unchanged.
     */
    public Object toFallback(Object value) {
        if (value == null || fallback() == null) {
            return value;
        }
        if (this == TIME) {
            return value.toString();
        }
        throw new IllegalStateException("no fallback conversion for " + this);
    }

    /**
     * Whether {@code value} is an acceptable Java value for this type ({@code null} always is).
     * {@link #TIMESTAMP_TZ} also accepts {@link java.time.OffsetDateTime}; {@link #JSON} accepts
     * maps, lists, strings, numbers and booleans.
     */
    public boolean accepts(Object value) {
        if (value == null) {
            return true;
        }
        switch (this) {
            case TIMESTAMP_TZ:
                return value instanceof Instant || value instanceof java.time.OffsetDateTime;
            case JSON:
                return value instanceof Map || value instanceof List || value instanceof String
                        || value instanceof Number || value instanceof Boolean;
            default:
                return javaType.isInstance(value);
        }
    }
}
