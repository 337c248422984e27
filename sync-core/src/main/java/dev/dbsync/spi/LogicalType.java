package dev.dbsync.spi;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The logical column types of dbsync and the one Java type that carries each of them in a
 * {@link ChangeEvent}. Sinks map these to their native types; sources map their native types to these.
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
    ARRAY(List.class);

    private final Class<?> javaType;

    LogicalType(Class<?> javaType) {
        this.javaType = javaType;
    }

    /** The Java type that carries values of this logical type; never null. */
    public Class<?> javaType() {
        return javaType;
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
