package dev.dbsync.crate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Converts event values to what the CrateDB columns created by {@link CrateSql#createTable} take, and column
 * values read back to the documented Java types.
 *
 * <p>Stored forms that differ from the logical type, by design:
 * <ul>
 *   <li>BYTES → TEXT holding standard base64 (CrateDB has no binary column type);</li>
 *   <li>UUID → TEXT in canonical form (TEXT works on every CrateDB version);</li>
 *   <li>DATE → TIMESTAMP WITHOUT TIME ZONE at midnight (CrateDB's DATE cannot be a column type);</li>
 *   <li>timestamps keep milliseconds: CrateDB stores epoch milliseconds, finer digits are dropped;</li>
 *   <li>JSON → OBJECT: only JSON objects (maps) fit; other JSON values are rejected per row;</li>
 *   <li>DECIMAL → NUMERIC(p, s), TEXT or DOUBLE PRECISION as configured ({@link DecimalMapping}).</li>
 * </ul>
 */
final class CrateValues {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter ISO_LOCAL = DateTimeFormatter.ISO_LOCAL_DATE_TIME;

    private CrateValues() {
    }

    /** A value that cannot be stored in its column; the message names the column. */
    static final class BadValueException extends Exception {
        private static final long serialVersionUID = 1L;

        BadValueException(String message) {
            super(message);
        }
    }

    /** Binds {@code value} of column {@code c} as parameter {@code index}. */
    static void bind(PreparedStatement ps, int index, Column c, Object value, CrateSettings s, Connection conn)
            throws SQLException, BadValueException {
        if (value == null) {
            ps.setNull(index, sqlType(c, s));
            return;
        }
        if (!c.type().accepts(value)) {
            throw new BadValueException("column '" + c.name() + "' of type " + c.type() + " got a "
                    + value.getClass().getSimpleName());
        }
        switch (c.type()) {
            case STRING:
                ps.setString(index, (String) value);
                break;
            case INT32:
                ps.setInt(index, (Integer) value);
                break;
            case INT64:
                ps.setLong(index, checkBigint(c, (Long) value, null));
                break;
            case FLOAT64:
                ps.setDouble(index, (Double) value);
                break;
            case BOOLEAN:
                ps.setBoolean(index, (Boolean) value);
                break;
            case DECIMAL:
                bindDecimal(ps, index, c, (BigDecimal) value, s);
                break;
            case BYTES:
                ps.setString(index, Base64.getEncoder().encodeToString((byte[]) value));
                break;
            case UUID:
                ps.setString(index, value.toString());
                break;
            case DATE:
                ps.setObject(index, ((LocalDate) value).atStartOfDay());
                break;
            case TIMESTAMP:
                ps.setObject(index, ((LocalDateTime) value).truncatedTo(ChronoUnit.MILLIS));
                break;
            case TIMESTAMP_TZ:
                ps.setObject(index, toOffset(value));
                break;
            case JSON:
                ps.setString(index, objectJson(c, value));
                break;
            case ARRAY:
                ps.setArray(index, array(conn, c, (List<?>) value));
                break;
            default:
                throw new IllegalStateException("unhandled type " + c.type());
        }
    }

    /** Binds a key or cursor value of column {@code c} (same forms as {@link #bind}). */
    static void bindKey(PreparedStatement ps, int index, Column c, Object value, CrateSettings s)
            throws SQLException {
        try {
            bind(ps, index, c, value, s, ps.getConnection());
        } catch (BadValueException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The smallest value a CrateDB BIGINT holds: {@code -2^63 + 1}. */
    static final long BIGINT_MIN = Long.MIN_VALUE + 1;
    /** The largest value a CrateDB BIGINT holds: {@code 2^63 - 2}. */
    static final long BIGINT_MAX = Long.MAX_VALUE - 1;

    /**
     * CrateDB's BIGINT holds −2^63+1 … 2^63−2: the two extremes of a Java long are refused (the server reserves
     * them). Such a value is refused here, per row, with the reason, rather than stored in another form: a
     * BIGINT column that silently held some rows as something else would break sums, joins and keys.
     */
    static long checkBigint(Column c, long v, Integer element) throws BadValueException {
        if (v < BIGINT_MIN || v > BIGINT_MAX) {
            throw new BadValueException("column '" + c.name() + "'" + (element == null ? "" : " element " + element)
                    + ": value " + v + " is outside CrateDB's BIGINT range " + BIGINT_MIN + " … " + BIGINT_MAX
                    + " (CrateDB reserves -2^63 and 2^63-1)");
        }
        return v;
    }

    private static void bindDecimal(PreparedStatement ps, int index, Column c, BigDecimal v, CrateSettings s)
            throws SQLException {
        switch (decimalStorage(c, s.decimalMapping())) {
            case NUMERIC:
                ps.setBigDecimal(index, v);
                break;
            case DOUBLE:
                ps.setDouble(index, v.doubleValue());
                break;
            default:
                ps.setString(index, v.toPlainString());
        }
    }

    /** How a DECIMAL column is stored: the mapping, with NUMERIC falling back to TEXT outside 1 ≤ p ≤ 38. */
    static DecimalMapping decimalStorage(Column c, DecimalMapping mapping) {
        if (mapping == DecimalMapping.NUMERIC
                && !(c.precision() >= 1 && c.precision() <= 38 && c.scale() <= c.precision())) {
            return DecimalMapping.TEXT;
        }
        return mapping;
    }

    static OffsetDateTime toOffset(Object value) {
        Instant i = value instanceof Instant ? (Instant) value : ((OffsetDateTime) value).toInstant();
        return i.truncatedTo(ChronoUnit.MILLIS).atOffset(ZoneOffset.UTC);
    }

    /** JSON text of a JSON value that CrateDB can hold in an OBJECT column. */
    static String objectJson(Column c, Object value) throws BadValueException {
        if (!(value instanceof Map)) {
            throw new BadValueException("column '" + c.name() + "': CrateDB OBJECT columns hold JSON objects only, got a "
                    + (value instanceof List ? "JSON array" : "JSON scalar (" + value.getClass().getSimpleName() + ")"));
        }
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new BadValueException("column '" + c.name() + "': value cannot be written as JSON: " + e.getOriginalMessage());
        }
    }

    /** The SQL type used for NULLs of the column, matching the type its values are bound with. */
    static int sqlType(Column c, CrateSettings s) {
        switch (c.type()) {
            case INT32:
                return Types.INTEGER;
            case INT64:
                return Types.BIGINT;
            case FLOAT64:
                return Types.DOUBLE;
            case BOOLEAN:
                return Types.BOOLEAN;
            case DECIMAL:
                DecimalMapping m = decimalStorage(c, s.decimalMapping());
                return m == DecimalMapping.NUMERIC ? Types.NUMERIC : m == DecimalMapping.DOUBLE ? Types.DOUBLE : Types.VARCHAR;
            case DATE:
            case TIMESTAMP:
                return Types.TIMESTAMP;
            case TIMESTAMP_TZ:
                return Types.TIMESTAMP_WITH_TIMEZONE;
            case ARRAY:
                return Types.ARRAY;
            default:
                return Types.VARCHAR;
        }
    }

    /**
     * A JDBC array for an ARRAY column. Elements whose CrateDB type is not a plain PostgreSQL array type
     * (timestamps, base64 bytes, UUIDs, decimals) are sent as text and cast by CrateDB on insert.
     */
    static Array array(Connection conn, Column c, List<?> list) throws SQLException, BadValueException {
        LogicalType et = c.elementType();
        Object[] out = new Object[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = list.get(i);
            if (v != null && !et.accepts(v)) {
                throw new BadValueException("column '" + c.name() + "': array element " + i + " is a "
                        + v.getClass().getSimpleName() + ", not " + et);
            }
            if (v instanceof Long) {
                checkBigint(c, (Long) v, i);
            }
            out[i] = v == null ? null : arrayElement(et, v);
        }
        return conn.createArrayOf(arrayTypeName(et), out);
    }

    static String arrayTypeName(LogicalType et) {
        switch (et) {
            case INT32:
                return "int4";
            case INT64:
                return "int8";
            case FLOAT64:
                return "float8";
            case BOOLEAN:
                return "bool";
            default:
                return "text";
        }
    }

    static Object arrayElement(LogicalType et, Object v) {
        switch (et) {
            case INT32:
            case INT64:
            case FLOAT64:
            case BOOLEAN:
            case STRING:
                return v;
            case DECIMAL:
                return ((BigDecimal) v).toPlainString();
            case BYTES:
                return Base64.getEncoder().encodeToString((byte[]) v);
            case UUID:
                return v.toString();
            case DATE:
                return ISO_LOCAL.format(((LocalDate) v).atStartOfDay());
            case TIMESTAMP:
                return ISO_LOCAL.format(((LocalDateTime) v).truncatedTo(ChronoUnit.MILLIS));
            case TIMESTAMP_TZ:
                return DateTimeFormatter.ISO_INSTANT.format(toOffset(v).toInstant());
            default:
                throw new IllegalStateException("unhandled array element type " + et);
        }
    }

    // ---------------------------------------------------------------- reading

    /** Reads column {@code c} at {@code index} back to its documented Java type; null for SQL NULL. */
    static Object read(ResultSet rs, int index, Column c) throws SQLException {
        switch (c.type()) {
            case STRING: {
                Object o = rs.getObject(index);
                return o == null ? null : o instanceof String ? o : rs.getString(index);
            }
            case INT32: {
                int v = rs.getInt(index);
                return rs.wasNull() ? null : v;
            }
            case INT64: {
                long v = rs.getLong(index);
                return rs.wasNull() ? null : v;
            }
            case FLOAT64: {
                double v = rs.getDouble(index);
                return rs.wasNull() ? null : v;
            }
            case BOOLEAN: {
                boolean v = rs.getBoolean(index);
                return rs.wasNull() ? null : v;
            }
            case DECIMAL: {
                String v = rs.getString(index);
                return v == null ? null : new BigDecimal(v.trim());
            }
            case BYTES: {
                String v = rs.getString(index);
                return v == null ? null : Base64.getDecoder().decode(v);
            }
            case UUID: {
                String v = rs.getString(index);
                return v == null ? null : java.util.UUID.fromString(v);
            }
            case DATE: {
                Instant i = readInstant(rs, index);
                return i == null ? null : LocalDate.ofInstant(i, ZoneOffset.UTC);
            }
            case TIMESTAMP: {
                Instant i = readInstant(rs, index);
                return i == null ? null : LocalDateTime.ofInstant(i, ZoneOffset.UTC);
            }
            case TIMESTAMP_TZ:
                return readInstant(rs, index);
            case JSON: {
                String v = rs.getString(index);
                return v == null ? null : parseJson(v);
            }
            case ARRAY: {
                Array a = rs.getArray(index);
                if (a == null) {
                    return null;
                }
                Object[] items = (Object[]) a.getArray();
                List<Object> out = new ArrayList<>(items.length);
                for (Object item : items) {
                    out.add(item == null ? null : element(c.elementType(), item));
                }
                return out;
            }
            default:
                throw new IllegalStateException("unhandled type " + c.type());
        }
    }

    /**
     * A timestamp column as an instant. CrateDB stores both timestamp kinds as UTC epoch milliseconds and sends
     * them as text; the text is parsed in the ISO (proleptic Gregorian) calendar, as it was written, which
     * {@link java.sql.Timestamp} would not do for dates before 1582 (0001-01-01 came back as 0000-12-30).
     */
    static Instant readInstant(ResultSet rs, int index) throws SQLException {
        String t = rs.getString(index);
        return t == null ? null : parseTimestampText(t);
    }

    static Object parseJson(String text) {
        try {
            return JSON.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("CrateDB returned malformed JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** One array element as returned by pgjdbc (its own Java type or text) to the logical element type. */
    static Object element(LogicalType et, Object item) {
        switch (et) {
            case STRING:
                return item.toString();
            case INT32:
                return item instanceof Number ? ((Number) item).intValue() : Integer.valueOf(item.toString());
            case INT64:
                return item instanceof Number ? ((Number) item).longValue() : Long.valueOf(item.toString());
            case FLOAT64:
                return item instanceof Number ? ((Number) item).doubleValue() : Double.valueOf(item.toString());
            case BOOLEAN:
                return item instanceof Boolean ? item : Boolean.valueOf(item.toString());
            case DECIMAL:
                return new BigDecimal(item.toString());
            case BYTES:
                return Base64.getDecoder().decode(item.toString());
            case UUID:
                return UUID.fromString(item.toString());
            case DATE:
                return LocalDate.ofInstant(elementInstant(item), ZoneOffset.UTC);
            case TIMESTAMP:
                return LocalDateTime.ofInstant(elementInstant(item), ZoneOffset.UTC);
            case TIMESTAMP_TZ:
                return elementInstant(item);
            default:
                throw new IllegalStateException("unhandled array element type " + et);
        }
    }

    private static Instant elementInstant(Object item) {
        if (item instanceof Timestamp) {
            // pgjdbc builds array timestamps in the JVM zone from CrateDB's UTC text: undo that shift
            return ((Timestamp) item).toLocalDateTime().toInstant(ZoneOffset.UTC);
        }
        if (item instanceof Number) {
            return Instant.ofEpochMilli(((Number) item).longValue());
        }
        return parseTimestampText(item.toString());
    }

    /** Parses CrateDB's text forms of a timestamp ({@code 2024-01-02 03:04:05.678+00}, ISO-8601, epoch millis). */
    static Instant parseTimestampText(String s) {
        String t = s.trim();
        if (t.matches("-?\\d+")) {
            return Instant.ofEpochMilli(Long.parseLong(t));
        }
        t = t.replace(' ', 'T');
        if (t.endsWith("Z")) {
            return Instant.parse(t);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(.*?)([+-]\\d{2})(:?(\\d{2}))?$").matcher(t);
        if (m.matches() && m.group(1).contains("T")) {
            String offset = m.group(2) + ":" + (m.group(4) == null ? "00" : m.group(4));
            return OffsetDateTime.parse(m.group(1) + offset).toInstant();
        }
        return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
    }
}
