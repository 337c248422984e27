package dev.dbsync.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * Turns PostgreSQL's text output of a value (as logical decoding sends it, with the ISO date style of
 * pgjdbc sessions) into the Java type that {@link LogicalType} documents for the column.
 */
final class PgTextValues {


    private PgTextValues() {
    }

    /**
     * @throws IllegalArgumentException when the text is not a value of the column's type (the caller adds
     *                                  table and key to the message)
     */
    static Object parse(Column column, String text) {
        if (text == null) {
            return null;
        }
        String source = column.sourceType();
        if (source != null) {
            // Match what a snapshot reads (PgTypes): real is read as float8, char(n) as text (unpadded)
            if (source.startsWith("real")) {
                return column.type() == LogicalType.ARRAY
                        ? widenFloats(parseArray(text, column.elementType())) : (Object) (double) Float.parseFloat(text);
            }
            if (source.startsWith("character(") || source.startsWith("bpchar")) {
                return column.type() == LogicalType.ARRAY
                        ? rtrimAll(parseArray(text, column.elementType())) : rtrim(text);
            }
        }
        return parse(column.type(), column.elementType(), text);
    }

    private static List<Object> widenFloats(List<Object> list) {
        List<Object> out = new ArrayList<>(list.size());
        for (Object o : list) {
            out.add(o instanceof List ? widenFloats(castList(o)) : o == null ? null : (double) ((Double) o).floatValue());
        }
        return out;
    }

    private static List<Object> rtrimAll(List<Object> list) {
        List<Object> out = new ArrayList<>(list.size());
        for (Object o : list) {
            out.add(o instanceof List ? rtrimAll(castList(o)) : o == null ? null : rtrim((String) o));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> castList(Object o) {
        return (List<Object>) o;
    }

    private static String rtrim(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == ' ') {
            end--;
        }
        return s.substring(0, end);
    }

    static Object parse(LogicalType type, LogicalType elementType, String text) {
        switch (type) {
            case STRING:
                return text;
            case INT32:
                return Integer.valueOf(text);
            case INT64:
                return Long.valueOf(text);
            case DECIMAL:
                return new BigDecimal(text);
            case FLOAT64:
                return parseDouble(text);
            case BOOLEAN:
                return parseBoolean(text);
            case BYTES:
                return parseBytea(text);
            case UUID:
                return UUID.fromString(text);
            case DATE:
                return parseDate(text);
            case TIMESTAMP:
                return parseTimestamp(text);
            case TIMESTAMP_TZ:
                return parseTimestampTz(text);
            case TIME:
                if (text.startsWith("24:00")) {
                    return PgTypes.time(86_400_000_000L);
                }
                return java.time.LocalTime.parse(text);
            case JSON:
                try {
                    return PgTypes.JSON.readValue(text, Object.class);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
                }
            case ARRAY:
                return parseArray(text, elementType);
            default:
                throw new IllegalArgumentException("unsupported logical type " + type);
        }
    }

    private static Double parseDouble(String text) {
        switch (text) {
            case "Infinity": return Double.POSITIVE_INFINITY;
            case "-Infinity": return Double.NEGATIVE_INFINITY;
            case "NaN": return Double.NaN;
            default: return Double.valueOf(text);
        }
    }

    private static Boolean parseBoolean(String text) {
        if (text.equals("t") || text.equals("true")) {
            return Boolean.TRUE;
        }
        if (text.equals("f") || text.equals("false")) {
            return Boolean.FALSE;
        }
        throw new IllegalArgumentException("not a boolean: " + text);
    }

    static byte[] parseBytea(String text) {
        if (text.startsWith("\\x")) {
            return HexFormat.of().parseHex(text, 2, text.length());
        }
        // bytea_output = escape: octal escapes and doubled backslashes
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                if (text.charAt(i + 1) == '\\') {
                    out.write('\\');
                    i++;
                } else {
                    out.write(Integer.parseInt(text.substring(i + 1, i + 4), 8));
                    i += 3;
                }
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static LocalDate parseDate(String text) {
        switch (text) {
            case "infinity": return LocalDate.MAX;
            case "-infinity": return LocalDate.MIN;
            default: break;
        }
        boolean bc = text.endsWith(" BC");
        String t = bc ? text.substring(0, text.length() - 3) : text;
        int d1 = t.indexOf('-', 1);
        int d2 = t.indexOf('-', d1 + 1);
        int year = Integer.parseInt(t.substring(0, d1));
        LocalDate date = LocalDate.of(bc ? 1 - year : year, Integer.parseInt(t.substring(d1 + 1, d2)),
                Integer.parseInt(t.substring(d2 + 1)));
        return date;
    }

    private static LocalDateTime parseTimestamp(String text) {
        switch (text) {
            case "infinity": return LocalDateTime.MAX;
            case "-infinity": return LocalDateTime.MIN;
            default: break;
        }
        boolean bc = text.endsWith(" BC");
        String t = bc ? text.substring(0, text.length() - 3) : text;
        int sp = t.indexOf(' ');
        LocalDate date = parseDate(t.substring(0, sp) + (bc ? " BC" : ""));
        return LocalDateTime.of(date, parseTime(t, sp + 1, t.length()));
    }

    private static Instant parseTimestampTz(String text) {
        switch (text) {
            case "infinity": return Instant.MAX;
            case "-infinity": return Instant.MIN;
            default: break;
        }
        boolean bc = text.endsWith(" BC");
        String t = bc ? text.substring(0, text.length() - 3) : text;
        int sp = t.indexOf(' ');
        int off = Math.max(t.lastIndexOf('+'), t.lastIndexOf('-'));
        if (off <= sp) {
            throw new IllegalArgumentException("timestamptz without offset: " + text);
        }
        LocalDate date = parseDate(t.substring(0, sp) + (bc ? " BC" : ""));
        LocalTime time = parseTime(t, sp + 1, off);
        return LocalDateTime.of(date, time).toInstant(parseOffset(t.substring(off)));
    }

    private static LocalTime parseTime(String t, int from, int to) {
        int h = Integer.parseInt(t.substring(from, from + 2));
        int m = Integer.parseInt(t.substring(from + 3, from + 5));
        int s = Integer.parseInt(t.substring(from + 6, from + 8));
        int nanos = 0;
        if (to > from + 8 && t.charAt(from + 8) == '.') {
            String frac = t.substring(from + 9, to);
            nanos = Integer.parseInt((frac + "000000000").substring(0, 9));
        }
        if (h == 24) {
            // '24:00:00' is a valid PostgreSQL time of day; java.time has none
            return LocalTime.MAX;
        }
        return LocalTime.of(h, m, s, nanos);
    }

    private static ZoneOffset parseOffset(String o) {
        int sign = o.charAt(0) == '-' ? -1 : 1;
        String[] parts = o.substring(1).split(":");
        int secs = Integer.parseInt(parts[0]) * 3600;
        if (parts.length > 1) {
            secs += Integer.parseInt(parts[1]) * 60;
        }
        if (parts.length > 2) {
            secs += Integer.parseInt(parts[2]);
        }
        return ZoneOffset.ofTotalSeconds(sign * secs);
    }

    /** Parses an array literal such as {@code {1,2,NULL}} or {@code {{"a b",c},{d,e}}} into nested lists. */
    static List<Object> parseArray(String text, LogicalType elementType) {
        int start = 0;
        if (text.startsWith("[")) {
            // explicit bounds decoration: [0:2]={…}
            start = text.indexOf('=') + 1;
        }
        int[] pos = {start};
        List<Object> result = parseArrayLevel(text, pos, elementType == null ? LogicalType.STRING : elementType);
        return result;
    }

    private static List<Object> parseArrayLevel(String text, int[] pos, LogicalType elementType) {
        if (text.charAt(pos[0]) != '{') {
            throw new IllegalArgumentException("not an array literal: " + text);
        }
        pos[0]++;
        List<Object> out = new ArrayList<>();
        if (text.charAt(pos[0]) == '}') {
            pos[0]++;
            return out;
        }
        while (true) {
            char c = text.charAt(pos[0]);
            if (c == '{') {
                out.add(parseArrayLevel(text, pos, elementType));
            } else if (c == '"') {
                StringBuilder sb = new StringBuilder();
                int i = pos[0] + 1;
                while (text.charAt(i) != '"') {
                    char ch = text.charAt(i);
                    if (ch == '\\') {
                        i++;
                        ch = text.charAt(i);
                    }
                    sb.append(ch);
                    i++;
                }
                pos[0] = i + 1;
                out.add(parse(elementType, null, sb.toString()));
            } else {
                int i = pos[0];
                // ';' separates elements of box arrays only; every type used here uses ','
                while (text.charAt(i) != ',' && text.charAt(i) != '}') {
                    i++;
                }
                String raw = text.substring(pos[0], i).trim();
                pos[0] = i;
                out.add(raw.equals("NULL") ? null : parse(elementType, null, raw));
            }
            char sep = text.charAt(pos[0]);
            pos[0]++;
            if (sep == '}') {
                return out;
            }
            if (sep != ',') {
                throw new IllegalArgumentException("malformed array literal: " + text);
            }
        }
    }
}
