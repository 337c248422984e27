package dev.dbsync.spi;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Text form of position values: each value as a one-letter type tag, a colon and its canonical text, preceded
 * by that element's length and {@code #}, e.g. {@code 4#L:42 7#S:a b,c} (elements separated by one space).
 * Tagging keeps the Java type, so a decoded position equals the encoded one; the length prefix lets values
 * contain any character without escaping.
 */
final class PositionCodec {

    private PositionCodec() {
    }

    static String encode(List<Object> values) {
        StringBuilder sb = new StringBuilder(16 * values.size());
        for (Object v : values) {
            String t = tag(v);
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(t.length()).append('#').append(t);
        }
        return sb.toString();
    }

    static List<Object> decode(String text) {
        List<Object> values = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            if (!values.isEmpty()) {
                if (text.charAt(i) != ' ') {
                    throw new IllegalArgumentException("malformed position '" + text + "': expected a space at " + i);
                }
                i++;
            }
            int hash = text.indexOf('#', i);
            if (hash <= i) {
                throw new IllegalArgumentException("malformed position '" + text + "': expected a length at " + i);
            }
            int len;
            try {
                len = Integer.parseInt(text.substring(i, hash));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("malformed position '" + text + "': bad length at " + i, e);
            }
            int end = hash + 1 + len;
            if (len < 1 || end > n) {
                throw new IllegalArgumentException("malformed position '" + text + "': element at " + i + " runs past the end");
            }
            values.add(untag(text.substring(hash + 1, end), text));
            i = end;
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
        } else if (v instanceof LocalTime) {
            return "h:" + v;
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
                case 'h': return LocalTime.parse(s);
                default: break;
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("malformed position '" + whole + "': bad element '" + p + "'", e);
        }
        throw new IllegalArgumentException("malformed position '" + whole + "': unknown type tag in '" + p + "'");
    }
}
