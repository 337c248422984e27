package dev.dbsync.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.LogicalType;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The one mapping between PostgreSQL types and dbsync's {@link LogicalType}s, used by the snapshot and
 * incremental reader, the sink and the logical-replication decoder alike. Keep every type decision here:
 * whoever turns catalog facts or a replication {@code Relation} message into a {@link Column} calls
 * {@link #column} (or {@link #logicalType} for a bare type name), so a table has the same schema whether it
 * is read by COPY or streamed.
 *
 * <ul>
 *   <li>{@link #column} maps a catalog column (type name after resolving domains, array element type,
 *       typmod, {@code format_type} text) to a {@link Column}. Types without a dedicated logical type
 *       (enums, intervals, money, network types, …) become {@link LogicalType#STRING} and are read through a
 *       cast to {@code text}.</li>
 *   <li>{@link #selectExpression} is how a reader selects a column so that its binary COPY form depends on
 *       the logical type only (every column is cast to one canonical type per logical type; a cast to the
 *       column's own type costs nothing).</li>
 *   <li>{@link #decodeBinary} turns the binary COPY / binary wire form of a canonical type into the Java
 *       value ({@link PgTextValues} does the same for the text form that {@code pgoutput} sends).</li>
 *   <li>{@link #appendText} renders a Java value as PostgreSQL input text (for COPY FROM and literals);
 *       {@link #literal} makes a typed, injection-safe SQL literal of it; {@link #ddlType} picks the
 *       target column type for a sink.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
final class PgTypes {

    /** Parses JSON into Map/List/String/BigDecimal-or-Long/Boolean; floats stay exact as BigDecimal. */
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    // Built-in type oids (stable across PostgreSQL versions; see pg_type.dat).
    static final int BOOL = 16;
    static final int BYTEA = 17;
    static final int NAME = 19;
    static final int INT8 = 20;
    static final int INT2 = 21;
    static final int INT4 = 23;
    static final int TEXT = 25;
    static final int JSON_OID = 114;
    static final int FLOAT4 = 700;
    static final int FLOAT8 = 701;
    static final int BPCHAR = 1042;
    static final int VARCHAR = 1043;
    static final int DATE = 1082;
    static final int TIME = 1083;
    static final int TIMESTAMP = 1114;
    static final int TIMESTAMPTZ = 1184;
    static final int NUMERIC = 1700;
    static final int UUID_OID = 2950;
    static final int JSONB = 3802;

    /** Seconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
    private static final long PG_EPOCH_SECONDS = 946_684_800L;
    private static final long PG_EPOCH_DAYS = 10_957L;

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private PgTypes() {
    }

    // ------------------------------------------------------------------ catalog → logical

    /**
     * The logical type for a base type name ({@code pg_type.typname}, domains already resolved to their
     * base type), or {@link LogicalType#STRING} when PostgreSQL has no closer match. Never returns ARRAY;
     * see {@link #column} for arrays.
     */
    static LogicalType logicalType(String typname) {
        switch (typname) {
            case "int2":
            case "int4":
                return LogicalType.INT32;
            case "int8":
            case "oid":
                return LogicalType.INT64;
            case "float4":
            case "float8":
                return LogicalType.FLOAT64;
            case "numeric":
                return LogicalType.DECIMAL;
            case "bool":
                return LogicalType.BOOLEAN;
            case "bytea":
                return LogicalType.BYTES;
            case "uuid":
                return LogicalType.UUID;
            case "date":
                return LogicalType.DATE;
            case "timestamp":
                return LogicalType.TIMESTAMP;
            case "time":
                return LogicalType.TIME;
            case "timestamptz":
                return LogicalType.TIMESTAMP_TZ;
            case "json":
            case "jsonb":
                return LogicalType.JSON;
            default:
                return LogicalType.STRING;
        }
    }

    /**
     * A column from catalog facts.
     *
     * @param name        attribute name
     * @param notNull     {@code pg_attribute.attnotnull}
     * @param typname     base type name (domain resolved); for arrays the array type's name (e.g. {@code _int4})
     * @param elemTypname for arrays the element's base type name, otherwise null
     * @param typmod      {@code atttypmod} (or the domain's {@code typtypmod}); -1 when none
     * @param formatted   {@code format_type(type, typmod)} of the base type, kept as the column's source type
     */
    static Column column(String name, boolean notNull, String typname, String elemTypname, int typmod, String formatted) {
        if (elemTypname != null) {
            LogicalType elem = logicalType(elemTypname);
            return new Column(name, LogicalType.ARRAY, !notNull, 0, 0, elem, formatted);
        }
        LogicalType t = logicalType(typname);
        int precision = 0;
        int scale = 0;
        if (typmod >= 0) {
            switch (typname) {
                case "numeric":
                    precision = ((typmod - 4) >> 16) & 0xffff;
                    scale = (typmod - 4) & 0x7ff;
                    break;
                case "varchar":
                case "bpchar":
                    precision = typmod - 4;
                    break;
                case "timestamp":
                case "timestamptz":
                case "time":
                    precision = typmod;
                    break;
                default:
                    break;
            }
        } else if (t == LogicalType.TIMESTAMP || t == LogicalType.TIMESTAMP_TZ || t == LogicalType.TIME) {
            precision = 6;
        }
        return new Column(name, t, !notNull, Math.max(precision, 0), Math.max(scale, 0), null, formatted);
    }

    // ------------------------------------------------------------------ reading

    /** The canonical PostgreSQL type a reader casts a logical type to (and literals are typed as). */
    static String castType(LogicalType type) {
        switch (type) {
            case INT32: return "int4";
            case INT64: return "int8";
            case DECIMAL: return "numeric";
            case FLOAT64: return "float8";
            case BOOLEAN: return "bool";
            case BYTES: return "bytea";
            case UUID: return "uuid";
            case DATE: return "date";
            case TIMESTAMP: return "timestamp";
            case TIMESTAMP_TZ: return "timestamptz";
            case TIME: return "time";
            case JSON: return "jsonb";
            case STRING: return "text";
            default: throw new IllegalArgumentException("no scalar cast for " + type);
        }
    }

    /** The SQL type of literals and casts for a column: {@link #castType}, or {@code elem[]} for arrays. */
    static String castType(Column c) {
        return c.type() == LogicalType.ARRAY ? castType(c.elementType()) + "[]" : castType(c.type());
    }

    /**
     * How a reader selects the column: cast to its canonical type so that {@link #decodeBinary} can decode
     * it knowing only the logical type. JSON is read as text (one parser for json and jsonb).
     */
    static String selectExpression(Column c) {
        String q = PgName.quote(c.name());
        if (c.type() == LogicalType.JSON) {
            return q + "::text";
        }
        if (c.type() == LogicalType.STRING && c.sourceType() != null && !TEXTUAL.matcher(c.sourceType()).matches()) {
            // Types read as text (inet, cidr, interval, money, ranges, enums, …) are read in their output
            // function's form, as the change feed sends them; a cast to text may differ (inet's shows /32).
            // char(n) stays a cast (its padding dropped), which the change feed's decoding matches.
            return "(to_json(" + q + ") #>> '{}')";
        }
        if (c.type() == LogicalType.ARRAY && c.elementType() == LogicalType.STRING && c.sourceType() != null
                && c.sourceType().endsWith("[]") && !TEXTUAL.matcher(c.sourceType().substring(0, c.sourceType().length() - 2)).matches()) {
            // the same for their arrays, element by element (a multidimensional array is read flattened)
            return "(CASE WHEN " + q + " IS NULL THEN NULL WHEN cardinality(" + q + ") = 0 THEN '{}'::text[] ELSE"
                    + " (SELECT array_agg(to_json(e) #>> '{}' ORDER BY o) FROM unnest(" + q + ") WITH ORDINALITY AS u(e, o)) END)";
        }
        return q + "::" + castType(c);
    }

    /** Source types whose cast to text is their output form. */
    private static final Pattern TEXTUAL = Pattern.compile("text|character varying(\\(\\d+\\))?|character(\\(\\d+\\))?|name|citext");

    /**
     * Decodes the binary form of the canonical type of {@code type} ({@link #castType}), as found in binary
     * COPY and in binary result columns (arrays carry their element type themselves).
     */
    static Object decodeBinary(LogicalType type, byte[] b, int off, int len) {
        switch (type) {
            case INT32:
                return len == 2 ? Integer.valueOf((short) SHORT.get(b, off)) : Integer.valueOf((int) INT.get(b, off));
            case INT64:
                return len == 4 ? Long.valueOf((int) INT.get(b, off)) : Long.valueOf((long) LONG.get(b, off));
            case FLOAT64:
                return len == 4 ? Double.valueOf(Float.intBitsToFloat((int) INT.get(b, off)))
                        : Double.valueOf(Double.longBitsToDouble((long) LONG.get(b, off)));
            case BOOLEAN:
                return b[off] != 0 ? Boolean.TRUE : Boolean.FALSE;
            case STRING:
                return new String(b, off, len, StandardCharsets.UTF_8);
            case BYTES:
                return Arrays.copyOfRange(b, off, off + len);
            case UUID:
                return new UUID((long) LONG.get(b, off), (long) LONG.get(b, off + 8));
            case DATE:
                return date((int) INT.get(b, off));
            case TIMESTAMP:
                return timestamp((long) LONG.get(b, off));
            case TIMESTAMP_TZ:
                return instant((long) LONG.get(b, off));
            case TIME:
                return time((long) LONG.get(b, off));
            case DECIMAL:
                return numeric(b, off);
            case JSON:
                return json(b, off, len);
            case ARRAY:
                return array(b, off);
            default:
                throw new IllegalArgumentException("cannot decode " + type);
        }
    }

    /** Decodes one binary value of a built-in type given by oid (array elements carry their oid). */
    static Object decodeBinaryOid(int oid, byte[] b, int off, int len) {
        switch (oid) {
            case INT2:
            case INT4:
                return decodeBinary(LogicalType.INT32, b, off, len);
            case INT8:
                return decodeBinary(LogicalType.INT64, b, off, len);
            case FLOAT4:
            case FLOAT8:
                return decodeBinary(LogicalType.FLOAT64, b, off, len);
            case BOOL:
                return decodeBinary(LogicalType.BOOLEAN, b, off, len);
            case BYTEA:
                return decodeBinary(LogicalType.BYTES, b, off, len);
            case UUID_OID:
                return decodeBinary(LogicalType.UUID, b, off, len);
            case DATE:
                return decodeBinary(LogicalType.DATE, b, off, len);
            case TIMESTAMP:
                return decodeBinary(LogicalType.TIMESTAMP, b, off, len);
            case TIMESTAMPTZ:
                return decodeBinary(LogicalType.TIMESTAMP_TZ, b, off, len);
            case TIME:
                return decodeBinary(LogicalType.TIME, b, off, len);
            case NUMERIC:
                return numeric(b, off);
            case JSONB:
                // jsonb's binary form is a version byte (1) followed by the JSON text
                return json(b, off + 1, len - 1);
            case JSON_OID:
                return json(b, off, len);
            default:
                // text, varchar, bpchar, name and anything cast to text
                return new String(b, off, len, StandardCharsets.UTF_8);
        }
    }

    /**
     * A time of day from microseconds after midnight. PostgreSQL also accepts {@code 24:00:00}, which no
     * {@link LocalTime} holds: such a value is refused with an error rather than changed.
     */
    static LocalTime time(long micros) {
        if (micros == 86_400_000_000L) {
            throw new DataException("time value 24:00:00 has no java.time.LocalTime form; store it as 00:00:00 of the next day"
                    + " or read the column as text (a view casting it to text)");
        }
        return LocalTime.ofNanoOfDay(micros * 1000);
    }

    private static LocalDate date(int days) {
        if (days == Integer.MAX_VALUE) {
            return LocalDate.MAX;
        }
        if (days == Integer.MIN_VALUE) {
            return LocalDate.MIN;
        }
        return LocalDate.ofEpochDay(days + PG_EPOCH_DAYS);
    }

    private static LocalDateTime timestamp(long micros) {
        if (micros == Long.MAX_VALUE) {
            return LocalDateTime.MAX;
        }
        if (micros == Long.MIN_VALUE) {
            return LocalDateTime.MIN;
        }
        long secs = Math.floorDiv(micros, 1_000_000L);
        int nanos = (int) Math.floorMod(micros, 1_000_000L) * 1000;
        return LocalDateTime.ofEpochSecond(secs + PG_EPOCH_SECONDS, nanos, ZoneOffset.UTC);
    }

    private static Instant instant(long micros) {
        if (micros == Long.MAX_VALUE) {
            return Instant.MAX;
        }
        if (micros == Long.MIN_VALUE) {
            return Instant.MIN;
        }
        long secs = Math.floorDiv(micros, 1_000_000L);
        int nanos = (int) Math.floorMod(micros, 1_000_000L) * 1000;
        return Instant.ofEpochSecond(secs + PG_EPOCH_SECONDS, nanos);
    }

    /** numeric: ndigits, weight, sign, dscale (int16 each), then ndigits base-10000 digits. */
    private static BigDecimal numeric(byte[] b, int off) {
        int ndigits = (short) SHORT.get(b, off);
        int weight = (short) SHORT.get(b, off + 2);
        int sign = ((short) SHORT.get(b, off + 4)) & 0xffff;
        int dscale = (short) SHORT.get(b, off + 6);
        if (sign == 0xC000 || sign == 0xD000 || sign == 0xF000) {
            throw new IllegalArgumentException("numeric value " + (sign == 0xC000 ? "NaN" : sign == 0xD000 ? "Infinity" : "-Infinity")
                    + " has no BigDecimal form");
        }
        if (ndigits == 0) {
            return BigDecimal.valueOf(0, dscale);
        }
        int p = off + 8;
        BigDecimal result;
        if (ndigits <= 4) {
            long acc = 0;
            for (int i = 0; i < ndigits; i++) {
                acc = acc * 10_000 + (short) SHORT.get(b, p + 2 * i);
            }
            int scale = -4 * (weight - ndigits + 1);
            // the base-10000 groups' trailing zeros beyond the display scale are dropped here, in the long: one
            // BigDecimal per value instead of three (valueOf, setScale, negate) for the common case
            while (scale > dscale && acc % 10 == 0) {
                acc /= 10;
                scale--;
            }
            if (scale == dscale) {
                return BigDecimal.valueOf(sign == 0x4000 ? -acc : acc, scale);
            }
            result = BigDecimal.valueOf(acc, scale);
        } else {
            char[] digits = new char[ndigits * 4];
            for (int i = 0; i < ndigits; i++) {
                int d = (short) SHORT.get(b, p + 2 * i);
                digits[4 * i] = (char) ('0' + d / 1000);
                digits[4 * i + 1] = (char) ('0' + d / 100 % 10);
                digits[4 * i + 2] = (char) ('0' + d / 10 % 10);
                digits[4 * i + 3] = (char) ('0' + d % 10);
            }
            result = new BigDecimal(new BigInteger(new String(digits)), -4 * (weight - ndigits + 1));
        }
        if (sign == 0x4000) {
            result = result.negate();
        }
        // dscale is the declared display scale; the base-10000 groups may add trailing zeros beyond it
        return result.scale() == dscale ? result : result.setScale(dscale, RoundingMode.UNNECESSARY);
    }

    private static Object json(byte[] b, int off, int len) {
        try {
            return JSON.readValue(b, off, len, Object.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed JSON from the server: " + e.getMessage(), e);
        }
    }

    /** Binary array: ndim, has-null flag, element oid, (size, lower bound) per dimension, then elements. */
    private static List<Object> array(byte[] b, int off) {
        int ndim = (int) INT.get(b, off);
        int elemOid = (int) INT.get(b, off + 8);
        if (ndim == 0) {
            return List.of();
        }
        int[] dims = new int[ndim];
        for (int d = 0; d < ndim; d++) {
            dims[d] = (int) INT.get(b, off + 12 + 8 * d);
        }
        int[] pos = {off + 12 + 8 * ndim};
        return arrayLevel(b, pos, dims, 0, elemOid);
    }

    private static List<Object> arrayLevel(byte[] b, int[] pos, int[] dims, int level, int elemOid) {
        List<Object> out = new ArrayList<>(dims[level]);
        for (int i = 0; i < dims[level]; i++) {
            if (level + 1 < dims.length) {
                out.add(arrayLevel(b, pos, dims, level + 1, elemOid));
            } else {
                int len = (int) INT.get(b, pos[0]);
                pos[0] += 4;
                if (len < 0) {
                    out.add(null);
                } else {
                    out.add(decodeBinaryOid(elemOid, b, pos[0], len));
                    pos[0] += len;
                }
            }
        }
        return Collections.unmodifiableList(out);
    }

    // ------------------------------------------------------------------ writing

    /**
     * Appends {@code v} as PostgreSQL input text for the given type (no COPY escaping, no quoting).
     * {@code elem} is the element type of arrays. Values of an unexpected Java type are rendered with
     * {@code toString()} and left to the server to parse (it rejects them with a data error naming the type).
     */
    /**
     * A date or time in PostgreSQL's input form: Java's MAX and MIN as {@code infinity} and {@code -infinity},
     * years before 1 as BC (ISO year 0 is 1 BC), years past 9999 without the sign Java prints.
     */
    private static void appendTemporal(StringBuilder sb, Object v, Object max, Object min) {
        if (v.equals(max)) {
            sb.append("infinity");
        } else if (v.equals(min)) {
            sb.append("-infinity");
        } else if (v instanceof LocalDate) {
            appendDate(sb, (LocalDate) v, null, null);
        } else if (v instanceof LocalDateTime) {
            LocalDateTime t = (LocalDateTime) v;
            appendDate(sb, t.toLocalDate(), t.toLocalTime(), null);
        } else if (v instanceof Instant) {
            java.time.OffsetDateTime t = ((Instant) v).atOffset(java.time.ZoneOffset.UTC);
            appendDate(sb, t.toLocalDate(), t.toLocalTime(), "+00");
        } else {
            sb.append(v);
        }
    }

    private static void appendDate(StringBuilder sb, LocalDate d, LocalTime time, String offset) {
        int y = d.getYear();
        boolean bc = y <= 0;
        int shown = bc ? 1 - y : y;
        if (shown < 1000) {
            sb.append(shown < 10 ? "000" : shown < 100 ? "00" : "0");
        }
        sb.append(shown).append('-');
        int m = d.getMonthValue();
        sb.append(m < 10 ? "0" : "").append(m).append('-');
        int day = d.getDayOfMonth();
        sb.append(day < 10 ? "0" : "").append(day);
        if (time != null) {
            sb.append(' ').append(time);
        }
        if (offset != null) {
            sb.append(offset);
        }
        if (bc) {
            sb.append(" BC");
        }
    }

    static void appendText(StringBuilder sb, LogicalType type, LogicalType elem, Object v) {
        if (v instanceof String) {
            if (type == LogicalType.JSON) {
                appendJson(sb, v);
            } else {
                sb.append((String) v);
            }
        } else if (v instanceof Integer || v instanceof Long) {
            sb.append(((Number) v).longValue());
        } else if (v instanceof Boolean) {
            sb.append((Boolean) v ? 't' : 'f');
        } else if (v instanceof Instant) {
            appendTemporal(sb, v, Instant.MAX, Instant.MIN);
        } else if (v instanceof LocalDateTime) {
            appendTemporal(sb, v, LocalDateTime.MAX, LocalDateTime.MIN);
        } else if (v instanceof LocalDate) {
            appendTemporal(sb, v, LocalDate.MAX, LocalDate.MIN);
        } else if (v instanceof BigDecimal) {
            sb.append(((BigDecimal) v).toString());
        } else if (v instanceof byte[]) {
            byte[] bytes = (byte[]) v;
            sb.append("\\x");
            for (byte x : bytes) {
                sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
            }
        } else if (type == LogicalType.JSON) {
            appendJson(sb, v);
        } else if (v instanceof List) {
            appendArray(sb, elem == null ? LogicalType.STRING : elem, (List<?>) v);
        } else {
            // Double (NaN and ±Infinity print as PostgreSQL reads them), UUID, OffsetDateTime, other numbers
            sb.append(v);
        }
    }

    private static void appendJson(StringBuilder sb, Object v) {
        try {
            sb.append(JSON.writeValueAsString(v));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("value cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static void appendArray(StringBuilder sb, LogicalType elem, List<?> list) {
        sb.append('{');
        StringBuilder item = new StringBuilder();
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            Object e = list.get(i);
            if (e == null) {
                sb.append("NULL");
            } else if (e instanceof List) {
                appendArray(sb, elem, (List<?>) e);
            } else {
                item.setLength(0);
                appendText(item, elem, null, e);
                sb.append('"');
                for (int k = 0; k < item.length(); k++) {
                    char ch = item.charAt(k);
                    if (ch == '"' || ch == '\\') {
                        sb.append('\\');
                    }
                    sb.append(ch);
                }
                sb.append('"');
            }
        }
        sb.append('}');
    }

    /** A typed SQL literal of the value, e.g. {@code '2024-05-01T10:00:00Z'::timestamptz}; {@code NULL} for null. */
    static String literal(Column c, Object v) {
        if (v == null) {
            return "NULL::" + castType(c);
        }
        StringBuilder sb = new StringBuilder();
        appendText(sb, c.type(), c.elementType(), v);
        return PgName.literal(sb.toString()) + "::" + castType(c);
    }

    /** Microseconds since 1970 for temporal values, the value for integers, 0 otherwise (event versions). */
    static long versionOf(Object v) {
        if (v instanceof Instant) {
            Instant t = (Instant) v;
            return t.equals(Instant.MAX) ? Long.MAX_VALUE : t.equals(Instant.MIN) ? Long.MIN_VALUE
                    : Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
        } else if (v instanceof LocalDateTime) {
            LocalDateTime t = (LocalDateTime) v;
            return t.equals(LocalDateTime.MAX) ? Long.MAX_VALUE : t.equals(LocalDateTime.MIN) ? Long.MIN_VALUE
                    : t.toEpochSecond(ZoneOffset.UTC) * 1_000_000L + t.getNano() / 1000;
        } else if (v instanceof OffsetDateTime) {
            return versionOf(((OffsetDateTime) v).toInstant());
        } else if (v instanceof LocalDate) {
            LocalDate d = (LocalDate) v;
            return d.equals(LocalDate.MAX) ? Long.MAX_VALUE : d.equals(LocalDate.MIN) ? Long.MIN_VALUE
                    : d.toEpochDay() * 86_400_000_000L;
        } else if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        return 0;
    }

    // ------------------------------------------------------------------ DDL

    /** Source types that are copied verbatim into DDL: built-in names only, so nothing else reaches SQL. */
    private static final Map<LogicalType, Pattern> EXACT = Map.ofEntries(
            Map.entry(LogicalType.INT32, Pattern.compile("smallint|integer")),
            Map.entry(LogicalType.INT64, Pattern.compile("bigint")),
            Map.entry(LogicalType.FLOAT64, Pattern.compile("real|double precision")),
            Map.entry(LogicalType.DECIMAL, Pattern.compile("numeric(\\(\\d{1,4}(,\\d{1,4})?\\))?")),
            Map.entry(LogicalType.STRING, Pattern.compile("text|character varying(\\(\\d{1,8}\\))?|character(\\(\\d{1,8}\\))?")),
            Map.entry(LogicalType.BOOLEAN, Pattern.compile("boolean")),
            Map.entry(LogicalType.BYTES, Pattern.compile("bytea")),
            Map.entry(LogicalType.UUID, Pattern.compile("uuid")),
            Map.entry(LogicalType.DATE, Pattern.compile("date")),
            Map.entry(LogicalType.TIMESTAMP, Pattern.compile("timestamp(\\([0-6]\\))? without time zone")),
            Map.entry(LogicalType.TIMESTAMP_TZ, Pattern.compile("timestamp(\\([0-6]\\))? with time zone")),
            Map.entry(LogicalType.TIME, Pattern.compile("time(\\([0-6]\\))? without time zone")),
            Map.entry(LogicalType.JSON, Pattern.compile("jsonb?")));

    /**
     * The column type a sink creates for {@code c}: the source's exact type when it is a built-in
     * PostgreSQL type consistent with the logical type (PostgreSQL → PostgreSQL keeps varchar(n),
     * numeric(p,s), smallint, json …), otherwise the general mapping of the logical type.
     */
    static String ddlType(Column c) {
        String src = c.sourceType();
        if (src != null) {
            boolean array = c.type() == LogicalType.ARRAY;
            String base = array && src.endsWith("[]") ? src.substring(0, src.length() - 2) : src;
            Pattern p = EXACT.get(array ? c.elementType() : c.type());
            if (p != null && (!array || src.endsWith("[]")) && p.matcher(base).matches()) {
                return src;
            }
        }
        if (c.type() == LogicalType.ARRAY) {
            return ddlScalar(c.elementType(), 0, 0) + "[]";
        }
        return ddlScalar(c.type(), c.precision(), c.scale());
    }

    private static String ddlScalar(LogicalType t, int precision, int scale) {
        switch (t) {
            case STRING: return "text";
            case INT32: return "integer";
            case INT64: return "bigint";
            case DECIMAL:
                return precision > 0 && precision <= 1000 && scale <= precision
                        ? "numeric(" + precision + "," + scale + ")" : "numeric";
            case FLOAT64: return "double precision";
            case BOOLEAN: return "boolean";
            case BYTES: return "bytea";
            case UUID: return "uuid";
            case DATE: return "date";
            case TIMESTAMP: return "timestamp";
            case TIMESTAMP_TZ: return "timestamptz";
            case TIME: return "time";
            case JSON: return "jsonb";
            default: throw new IllegalArgumentException("no scalar DDL type for " + t);
        }
    }
}
