package dev.dbsync.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Values as Redis stores them. A hash field and a key part hold a value's text: numbers in decimal (DECIMAL in
 * plain notation), booleans as {@code true}/{@code false}, bytes as base64, UUIDs, dates and times in ISO-8601
 * (TIMESTAMP_TZ as a UTC instant), JSON and ARRAY values as JSON text. A JSON document holds INT32, INT64,
 * FLOAT64 and BOOLEAN as JSON numbers and booleans, DECIMAL as a string (so no reader rounds it through a double),
 * JSON values as nested JSON, ARRAY as a JSON array, everything else as its text.
 */
final class Codec {

    static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private Codec() {
    }

    /** The text of a value for a hash field or a key part; null stays null. */
    static String text(Object v, Column c) {
        if (v == null) {
            return null;
        }
        switch (c.type()) {
            case STRING:
                return (String) v;
            case INT32:
            case INT64:
            case BOOLEAN:
            case UUID:
            case DATE:
            case TIMESTAMP:
            case TIME:
                return v.toString();
            case FLOAT64:
                return Double.toString(((Number) v).doubleValue());
            case DECIMAL:
                return ((BigDecimal) v).toPlainString();
            case BYTES:
                return Base64.getEncoder().encodeToString((byte[]) v);
            case TIMESTAMP_TZ:
                return instant(v).toString();
            case JSON:
            case ARRAY:
                return json(v, c).toString();
            default:
                return v.toString();
        }
    }

    /** The text of a key part: like {@link #text} with decimals normalised, so 1.0 and 1.00 are one key. */
    static String keyText(Object v, Column c) {
        if (v instanceof BigDecimal) {
            BigDecimal d = ((BigDecimal) v).stripTrailingZeros();
            return d.signum() == 0 ? "0" : d.toPlainString();
        }
        return text(v, c);
    }

    static Instant instant(Object v) {
        return v instanceof OffsetDateTime ? ((OffsetDateTime) v).toInstant() : (Instant) v;
    }

    /** Parses the text of {@link #text} back into the column's Java type. */
    static Object parse(String s, Column c) {
        if (s == null) {
            return null;
        }
        switch (c.type()) {
            case STRING: return s;
            case INT32: return Integer.valueOf(s);
            case INT64: return Long.valueOf(s);
            case FLOAT64: return Double.valueOf(s);
            case DECIMAL: return new BigDecimal(s);
            case BOOLEAN: return Boolean.valueOf(s);
            case BYTES: return Base64.getDecoder().decode(s);
            case UUID: return UUID.fromString(s);
            case DATE: return LocalDate.parse(s);
            case TIMESTAMP: return LocalDateTime.parse(s);
            case TIMESTAMP_TZ: return Instant.parse(s);
            case TIME: return java.time.LocalTime.parse(s);
            case JSON:
            case ARRAY:
                try {
                    return fromJson(JSON.readTree(s), c);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException("column '" + c.name() + "' holds invalid JSON: " + e.getOriginalMessage(), e);
                }
            default: return s;
        }
    }

    /** A value as a JSON node, as the JSON document format stores it. */
    static JsonNode json(Object v, Column c) {
        return json(v, c.type(), c.elementType());
    }

    private static JsonNode json(Object v, LogicalType type, LogicalType element) {
        if (v == null) {
            return NODES.nullNode();
        }
        switch (type) {
            case INT32: return NODES.numberNode((Integer) v);
            case INT64: return NODES.numberNode((Long) v);
            case FLOAT64: {
                double d = ((Number) v).doubleValue();
                return Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(Double.toString(d));
            }
            case BOOLEAN: return NODES.booleanNode((Boolean) v);
            case JSON: return JSON.valueToTree(v);
            case ARRAY: {
                ArrayNode a = NODES.arrayNode();
                LogicalType et = element == null ? LogicalType.STRING : element;
                for (Object e : (List<?>) v) {
                    a.add(json(e, et, null));
                }
                return a;
            }
            case STRING: return NODES.textNode((String) v);
            case DECIMAL: return NODES.textNode(((BigDecimal) v).toPlainString());
            case BYTES: return NODES.textNode(Base64.getEncoder().encodeToString((byte[]) v));
            case TIMESTAMP_TZ: return NODES.textNode(instant(v).toString());
            default: return NODES.textNode(v.toString());
        }
    }

    static Object fromJson(JsonNode n, Column c) {
        return fromJson(n, c.type(), c.elementType());
    }

    private static Object fromJson(JsonNode n, LogicalType type, LogicalType element) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        switch (type) {
            case INT32: return n.isNumber() ? n.intValue() : Integer.valueOf(n.asText());
            case INT64: return n.isNumber() ? n.longValue() : Long.valueOf(n.asText());
            case FLOAT64: return n.isNumber() ? n.doubleValue() : Double.valueOf(n.asText());
            case BOOLEAN: return n.isBoolean() ? n.booleanValue() : Boolean.valueOf(n.asText());
            case JSON: return JSON.convertValue(n, Object.class);
            case ARRAY: {
                List<Object> out = new ArrayList<>(n.size());
                LogicalType et = element == null ? LogicalType.STRING : element;
                for (JsonNode e : n) {
                    out.add(fromJson(e, et, null));
                }
                return out;
            }
            case DECIMAL: return n.isNumber() ? n.decimalValue() : new BigDecimal(n.asText());
            default: return parse(n.asText(), new Column("v", type, true, 0, 0, null, null));
        }
    }

    /** The document of a row for the JSON value format: every column, nulls included. */
    static String document(List<Column> columns, List<Object> values) {
        ObjectNode o = NODES.objectNode();
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            o.set(c.name(), json(values.get(i), c));
        }
        return o.toString();
    }

    /** A score for a sorted index: numbers as they are, times as epoch milliseconds (dates at UTC midnight). */
    static Double score(Object v, Column c) {
        if (v == null) {
            return null;
        }
        switch (c.type()) {
            case INT32:
            case INT64:
            case FLOAT64:
            case DECIMAL: {
                double d = ((Number) v).doubleValue();
                return Double.isNaN(d) ? null : d;
            }
            case DATE: return (double) ((LocalDate) v).toEpochDay() * 86_400_000L;
            case TIME: return ((java.time.LocalTime) v).toNanoOfDay() / 1_000_000.0;
            case TIMESTAMP: return (double) ((LocalDateTime) v).toInstant(ZoneOffset.UTC).toEpochMilli();
            case TIMESTAMP_TZ: {
                Instant i = instant(v);
                return i.getEpochSecond() * 1000.0 + i.getNano() / 1_000_000.0;
            }
            default: return null;
        }
    }

    static boolean scorable(LogicalType t) {
        switch (t) {
            case INT32: case INT64: case FLOAT64: case DECIMAL: case DATE: case TIMESTAMP: case TIMESTAMP_TZ: case TIME:
                return true;
            default:
                return false;
        }
    }
}
