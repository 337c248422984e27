package dev.dbsync.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns values read from different databases into one canonical text, so that equal data compares equal
 * whatever types each database chose: numbers by value, instants in epoch microseconds, JSON by structure
 * with sorted keys, booleans as 1/0, binary as hex.
 */
final class Normalizer {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private Normalizer() {
    }

    /**
     * @param v    the value as the source returned it
     * @param json whether the column holds JSON on either side (JSON text is then parsed and compared by structure)
     */
    static String text(Object v, boolean json) {
        if (v == null) {
            return "\u2205";
        }
        if (json && v instanceof String s) {
            try {
                return text(JSON.readValue(s, Object.class), false);
            } catch (JsonProcessingException e) {
                return s;
            }
        }
        if (v instanceof Double d) {
            return number(new BigDecimal(d).round(MathContext.DECIMAL64));
        }
        if (v instanceof Float f) {
            return number(new BigDecimal(f).round(MathContext.DECIMAL32));
        }
        if (v instanceof BigDecimal || v instanceof Long || v instanceof Integer || v instanceof Short
                || v instanceof Byte || v instanceof java.math.BigInteger) {
            return number(new BigDecimal(v.toString()));
        }
        if (v instanceof Boolean b) {
            return b ? "1" : "0";
        }
        if (v instanceof Instant i) {
            return micros(i);
        }
        if (v instanceof OffsetDateTime o) {
            return micros(o.toInstant());
        }
        if (v instanceof LocalDateTime l) {
            // a time zone-less target column read back for a time-stamped source column: compare as UTC
            return micros(l.toInstant(ZoneOffset.UTC));
        }
        if (v instanceof byte[] b) {
            return HexFormat.of().formatHex(b);
        }
        if (v instanceof java.util.UUID u) {
            return u.toString();
        }
        if (v instanceof Map<?, ?> || v instanceof List<?>) {
            try {
                return JSON.writeValueAsString(canonical(v));
            } catch (JsonProcessingException e) {
                return v.toString();
            }
        }
        return v.toString();
    }

    private static Object canonical(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> sorted = new TreeMap<>();
            m.forEach((k, x) -> sorted.put(String.valueOf(k), canonical(x)));
            return sorted;
        }
        if (v instanceof List<?> l) {
            return l.stream().map(Normalizer::canonical).toList();
        }
        if (v instanceof Number n) {
            return number(new BigDecimal(n.toString()));
        }
        return v;
    }

    private static String number(BigDecimal d) {
        return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
    }

    private static String micros(Instant i) {
        return Long.toString(ChronoUnit.MICROS.between(Instant.EPOCH, i));
    }
}
