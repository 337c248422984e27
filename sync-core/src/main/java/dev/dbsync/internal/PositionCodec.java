package dev.dbsync.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Text form of position values: a JSON array of strings, each a one-letter type tag, a colon and the
 * value's canonical text. Tagging keeps the Java type, so a decoded position equals the encoded one.
 */
public final class PositionCodec {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() { };

    private PositionCodec() {
    }

    public static String encode(List<Object> values) {
        List<String> parts = new ArrayList<>(values.size());
        for (Object v : values) {
            parts.add(tag(v));
        }
        try {
            return JSON.writeValueAsString(parts);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode position " + values, e);
        }
    }

    public static List<Object> decode(String text) {
        List<String> parts;
        try {
            parts = JSON.readValue(text, STRINGS);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed position '" + text + "': " + e.getMessage(), e);
        }
        if (parts == null) {
            throw new IllegalArgumentException("malformed position '" + text + "'");
        }
        List<Object> values = new ArrayList<>(parts.size());
        for (String p : parts) {
            values.add(untag(p, text));
        }
        return values;
    }

    private static String tag(Object v) {
        if (v == null) {
            return "N";
        } else if (v instanceof String) {
            return "S:" + v;
        } else if (v instanceof Integer) {
            return "I:" + v;
        } else if (v instanceof Long) {
            return "L:" + v;
        } else if (v instanceof BigDecimal) {
            return "D:" + ((BigDecimal) v).toString();
        } else if (v instanceof Double) {
            return "F:" + v;
        } else if (v instanceof Boolean) {
            return "B:" + v;
        } else if (v instanceof byte[]) {
            return "X:" + Base64.getEncoder().encodeToString((byte[]) v);
        } else if (v instanceof UUID) {
            return "U:" + v;
        } else if (v instanceof LocalDate) {
            return "d:" + v;
        } else if (v instanceof LocalDateTime) {
            return "t:" + v;
        } else if (v instanceof Instant) {
            return "T:" + v;
        } else if (v instanceof OffsetDateTime) {
            return "O:" + v;
        }
        throw new IllegalArgumentException("a position cannot hold a " + v.getClass().getName() + " value: " + v);
    }

    private static Object untag(String p, String whole) {
        if (p == null) {
            throw new IllegalArgumentException("malformed position '" + whole + "': null element");
        }
        if (p.equals("N")) {
            return null;
        }
        if (p.length() < 2 || p.charAt(1) != ':') {
            throw new IllegalArgumentException("malformed position '" + whole + "': bad element '" + p + "'");
        }
        String s = p.substring(2);
        try {
            switch (p.charAt(0)) {
                case 'S': return s;
                case 'I': return Integer.valueOf(s);
                case 'L': return Long.valueOf(s);
                case 'D': return new BigDecimal(s);
                case 'F': return Double.valueOf(s);
                case 'B': return Boolean.valueOf(s);
                case 'X': return Base64.getDecoder().decode(s);
                case 'U': return UUID.fromString(s);
                case 'd': return LocalDate.parse(s);
                case 't': return LocalDateTime.parse(s);
                case 'T': return Instant.parse(s);
                case 'O': return OffsetDateTime.parse(s);
                default: break;
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("malformed position '" + whole + "': bad element '" + p + "'", e);
        }
        throw new IllegalArgumentException("malformed position '" + whole + "': unknown type tag in '" + p + "'");
    }
}
