package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

/**
 * One column of a {@link TableSchema}.
 *
 * @param name        the column name as the source spells it; never null or blank
 * @param type        the logical type; never null
 * @param nullable    whether the column accepts SQL NULL
 * @param precision   total digits for {@link LogicalType#DECIMAL}, fractional second digits for
 *                    timestamps, maximum length for strings; 0 when unknown or unbounded
 * @param scale       digits after the point for {@link LogicalType#DECIMAL}; 0 otherwise
 * @param elementType element type for {@link LogicalType#ARRAY}; null for other types
 * @param sourceType  the source's own type name (e.g. {@code "timestamptz"}), for messages and exact
 *                    mappings between databases of one kind; may be null
 */
public record Column(String name, LogicalType type, boolean nullable, int precision, int scale,
                     LogicalType elementType, String sourceType) {

    public Column {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("column name is blank");
        }
        if (type == LogicalType.ARRAY && elementType == null) {
            throw new IllegalArgumentException("column '" + name + "' is an ARRAY without element type");
        }
        if (precision < 0 || scale < 0) {
            throw new IllegalArgumentException("column '" + name + "' has negative precision or scale");
        }
    }

    /** A nullable column of the given type with no precision, scale or source type. */
    public static Column of(String name, LogicalType type) {
        return new Column(name, type, true, 0, 0, null, null);
    }

    /** A NOT NULL column of the given type. */
    public static Column required(String name, LogicalType type) {
        return new Column(name, type, false, 0, 0, null, null);
    }

    /** A nullable DECIMAL column. */
    public static Column decimal(String name, int precision, int scale) {
        return new Column(name, LogicalType.DECIMAL, true, precision, scale, null, null);
    }

    /** A nullable ARRAY column. */
    public static Column array(String name, LogicalType elementType) {
        return new Column(name, LogicalType.ARRAY, true, 0, 0, requireNonNull(elementType, "elementType is null"), null);
    }

    /** A copy with another nullability. */
    public Column withNullable(boolean value) {
        return new Column(name, type, value, precision, scale, elementType, sourceType);
    }
}
