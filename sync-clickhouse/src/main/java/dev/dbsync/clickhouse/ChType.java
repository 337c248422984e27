package dev.dbsync.clickhouse;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.util.Objects;

/**
 * A ClickHouse column type, as far as the connectors write and read it: the base kind plus the
 * {@code Nullable}, {@code LowCardinality} and {@code Array} wrappers. Immutable.
 */
final class ChType {

    /** Base kinds; each has one RowBinary encoding. */
    enum Kind {
        INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64, FLOAT32, FLOAT64, BOOL, DECIMAL,
        STRING, FIXED_STRING, UUID, DATE, DATE32, DATETIME, DATETIME64, JSON, ARRAY
    }

    final Kind kind;
    final boolean nullable;
    final boolean lowCardinality;
    /** Decimal precision, DateTime64 precision, FixedString length. */
    final int precision;
    final int scale;
    /** Element type of an Array. */
    final ChType element;
    /** Time zone of DateTime/DateTime64, null when the column has none. */
    final String timeZone;

    ChType(Kind kind, boolean nullable, boolean lowCardinality, int precision, int scale, ChType element, String timeZone) {
        this.kind = Objects.requireNonNull(kind, "kind is null");
        this.nullable = nullable;
        this.lowCardinality = lowCardinality;
        this.precision = precision;
        this.scale = scale;
        this.element = element;
        this.timeZone = timeZone;
    }

    static ChType of(Kind kind) {
        return new ChType(kind, false, false, 0, 0, null, null);
    }

    ChType nullable() {
        return new ChType(kind, true, lowCardinality, precision, scale, element, timeZone);
    }

    /** The ClickHouse type for a logical column (see the sink's Javadoc for the table). */
    static ChType forColumn(Column c, boolean lowCardinality, boolean jsonType) {
        ChType t = forLogical(c.type(), c.precision(), c.scale(), c.elementType(), jsonType);
        if (t.kind == Kind.ARRAY) {
            return t; // ClickHouse has no Nullable(Array): NULL arrays are stored empty
        }
        boolean lc = lowCardinality && t.kind == Kind.STRING;
        boolean nullable = c.nullable() && !(t.kind == Kind.JSON);
        return new ChType(t.kind, nullable, lc, t.precision, t.scale, null, t.timeZone);
    }

    private static ChType forLogical(LogicalType type, int precision, int scale, LogicalType elementType, boolean jsonType) {
        switch (type) {
            case STRING:
            case BYTES:
                return of(Kind.STRING);
            case INT32:
                return of(Kind.INT32);
            case INT64:
                return of(Kind.INT64);
            case DECIMAL:
                if (precision <= 0 || precision > 76) {
                    // An unbounded decimal (e.g. PostgreSQL numeric): wide enough for money and measures.
                    return new ChType(Kind.DECIMAL, false, false, 38, 18, null, null);
                }
                return new ChType(Kind.DECIMAL, false, false, precision, Math.min(scale, precision), null, null);
            case FLOAT64:
                return of(Kind.FLOAT64);
            case BOOLEAN:
                return of(Kind.BOOL);
            case UUID:
                return of(Kind.UUID);
            case DATE:
                return of(Kind.DATE32);
            case TIMESTAMP:
            case TIMESTAMP_TZ:
                int p = precision <= 0 ? 6 : Math.min(precision, 9);
                return new ChType(Kind.DATETIME64, false, false, p, 0, null, "UTC");
            case JSON:
                return of(jsonType ? Kind.JSON : Kind.STRING);
            case ARRAY:
                ChType e = forLogical(elementType, 0, 0, null, false);
                if (e.kind == Kind.ARRAY) {
                    throw new IllegalArgumentException("nested arrays are not supported");
                }
                return new ChType(Kind.ARRAY, false, false, 0, 0, e.nullable(), null);
            default:
                throw new IllegalArgumentException("unsupported logical type " + type);
        }
    }

    /** The logical type a ClickHouse type is read as; null when it has none (the source rejects the column). */
    LogicalType logical() {
        switch (kind) {
            case INT8: case INT16: case INT32: case UINT8: case UINT16:
                return LogicalType.INT32;
            case INT64: case UINT32:
                return LogicalType.INT64;
            case UINT64:
                return LogicalType.DECIMAL;
            case FLOAT32: case FLOAT64:
                return LogicalType.FLOAT64;
            case BOOL:
                return LogicalType.BOOLEAN;
            case DECIMAL:
                return LogicalType.DECIMAL;
            case STRING: case FIXED_STRING:
                return LogicalType.STRING;
            case UUID:
                return LogicalType.UUID;
            case DATE: case DATE32:
                return LogicalType.DATE;
            case DATETIME: case DATETIME64:
                return timeZone == null ? LogicalType.TIMESTAMP : LogicalType.TIMESTAMP_TZ;
            case JSON:
                return LogicalType.JSON;
            case ARRAY:
                return LogicalType.ARRAY;
            default:
                return null;
        }
    }

    /** The logical column a ClickHouse column is read as. */
    Column toColumn(String name) {
        LogicalType lt = logical();
        if (lt == LogicalType.ARRAY) {
            LogicalType et = element.logical();
            if (et == null || et == LogicalType.ARRAY) {
                throw new IllegalArgumentException("column '" + name + "' has type " + this + " which has no logical type");
            }
            return new Column(name, lt, true, 0, 0, et, toString());
        }
        if (lt == null) {
            throw new IllegalArgumentException("column '" + name + "' has type " + this + " which has no logical type");
        }
        int p = kind == Kind.DECIMAL || kind == Kind.DATETIME64 ? precision : kind == Kind.UINT64 ? 20 : 0;
        return new Column(name, lt, nullable, p, kind == Kind.DECIMAL ? scale : 0, null, toString());
    }

    /** Parses a type as ClickHouse prints it ({@code system.columns.type}, RowBinaryWithNamesAndTypes headers). */
    static ChType parse(String text) {
        Parser p = new Parser(text);
        ChType t = p.type();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw new IllegalArgumentException("unsupported ClickHouse type '" + text + "'");
        }
        return t;
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        void skipSpace() {
            while (pos < s.length() && s.charAt(pos) == ' ') {
                pos++;
            }
        }

        String word() {
            skipSpace();
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                pos++;
            }
            return s.substring(start, pos);
        }

        boolean eat(char c) {
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        void expect(char c) {
            if (!eat(c)) {
                throw new IllegalArgumentException("unsupported ClickHouse type '" + s + "'");
            }
        }

        int number() {
            String w = word();
            try {
                return Integer.parseInt(w);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("unsupported ClickHouse type '" + s + "'");
            }
        }

        String quoted() {
            skipSpace();
            expect('\'');
            StringBuilder b = new StringBuilder();
            while (pos < s.length() && s.charAt(pos) != '\'') {
                char c = s.charAt(pos++);
                if (c == '\\' && pos < s.length()) {
                    c = s.charAt(pos++);
                }
                b.append(c);
            }
            expect('\'');
            return b.toString();
        }

        ChType type() {
            String name = word();
            switch (name) {
                case "Nullable": {
                    expect('(');
                    ChType t = type();
                    expect(')');
                    return new ChType(t.kind, true, t.lowCardinality, t.precision, t.scale, t.element, t.timeZone);
                }
                case "LowCardinality": {
                    expect('(');
                    ChType t = type();
                    expect(')');
                    return new ChType(t.kind, t.nullable, true, t.precision, t.scale, t.element, t.timeZone);
                }
                case "Array": {
                    expect('(');
                    ChType e = type();
                    expect(')');
                    return new ChType(Kind.ARRAY, false, false, 0, 0, e, null);
                }
                case "Int8": return of(Kind.INT8);
                case "Int16": return of(Kind.INT16);
                case "Int32": return of(Kind.INT32);
                case "Int64": return of(Kind.INT64);
                case "UInt8": return of(Kind.UINT8);
                case "UInt16": return of(Kind.UINT16);
                case "UInt32": return of(Kind.UINT32);
                case "UInt64": return of(Kind.UINT64);
                case "Float32": return of(Kind.FLOAT32);
                case "Float64": return of(Kind.FLOAT64);
                case "Bool": return of(Kind.BOOL);
                case "String": return of(Kind.STRING);
                case "UUID": return of(Kind.UUID);
                case "Date": return of(Kind.DATE);
                case "Date32": return of(Kind.DATE32);
                case "JSON":
                    if (eat('(')) {
                        // JSON(max_dynamic_paths=…): hints do not change how values are read as text
                        int depth = 1;
                        while (pos < s.length() && depth > 0) {
                            char c = s.charAt(pos++);
                            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
                        }
                    }
                    return of(Kind.JSON);
                case "FixedString": {
                    expect('(');
                    int n = number();
                    expect(')');
                    return new ChType(Kind.FIXED_STRING, false, false, n, 0, null, null);
                }
                case "Decimal": {
                    expect('(');
                    int p = number();
                    expect(',');
                    int sc = number();
                    expect(')');
                    return new ChType(Kind.DECIMAL, false, false, p, sc, null, null);
                }
                case "Decimal32": case "Decimal64": case "Decimal128": case "Decimal256": {
                    int p = name.equals("Decimal32") ? 9 : name.equals("Decimal64") ? 18 : name.equals("Decimal128") ? 38 : 76;
                    expect('(');
                    int sc = number();
                    expect(')');
                    return new ChType(Kind.DECIMAL, false, false, p, sc, null, null);
                }
                case "DateTime": {
                    String tz = null;
                    if (eat('(')) {
                        tz = quoted();
                        expect(')');
                    }
                    return new ChType(Kind.DATETIME, false, false, 0, 0, null, tz);
                }
                case "DateTime64": {
                    expect('(');
                    int p = number();
                    String tz = null;
                    if (eat(',')) {
                        tz = quoted();
                    }
                    expect(')');
                    return new ChType(Kind.DATETIME64, false, false, p, 0, null, tz);
                }
                default:
                    throw new IllegalArgumentException("unsupported ClickHouse type '" + s + "'");
            }
        }
    }

    /** The type as ClickHouse DDL spells it. */
    @Override
    public String toString() {
        String base;
        switch (kind) {
            case DECIMAL: base = "Decimal(" + precision + ", " + scale + ")"; break;
            case FIXED_STRING: base = "FixedString(" + precision + ")"; break;
            case DATETIME: base = timeZone == null ? "DateTime" : "DateTime(" + Sql.literal(timeZone) + ")"; break;
            case DATETIME64: base = "DateTime64(" + precision + (timeZone == null ? "" : ", " + Sql.literal(timeZone)) + ")"; break;
            case ARRAY: base = "Array(" + element + ")"; break;
            case BOOL: base = "Bool"; break;
            case UUID: base = "UUID"; break;
            case JSON: base = "JSON"; break;
            case STRING: base = "String"; break;
            default: base = camel(kind.name()); break;
        }
        if (nullable) {
            base = "Nullable(" + base + ")";
        }
        return lowCardinality ? "LowCardinality(" + base + ")" : base;
    }

    private static String camel(String name) {
        // INT32 → Int32, UINT64 → UInt64, FLOAT64 → Float64, DATE32 → Date32
        if (name.startsWith("UINT")) {
            return "UInt" + name.substring(4);
        }
        return name.charAt(0) + name.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChType && o.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
