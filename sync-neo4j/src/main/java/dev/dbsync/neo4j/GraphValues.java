package dev.dbsync.neo4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.neo4j.driver.Value;
import org.neo4j.driver.types.TypeSystem;

/**
 * Event values as Neo4j property values. Neo4j has no decimal, UUID or document property types, and lists must
 * hold values of one type without nulls:
 * DECIMAL → string (plain notation, exact), UUID → string, JSON → JSON text, INT32 → integer (64-bit),
 * TIMESTAMP_TZ → DateTime at UTC (an OffsetDateTime keeps its offset), ARRAY → list of the converted elements.
 * A value Neo4j cannot hold is a {@link BadValue}, which fails only its row.
 */
final class GraphValues {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A value that cannot be a property; the message names the column. */
    static final class BadValue extends Exception {
        private static final long serialVersionUID = 1L;

        BadValue(String message) {
            super(message);
        }
    }

    private GraphValues() {
    }

    static Object toGraph(Column c, Object v) throws BadValue {
        if (v == null) {
            return null;
        }
        LogicalType t = c.type();
        if (t == LogicalType.ARRAY) {
            if (!(v instanceof List)) {
                throw new BadValue("column '" + c.name() + "' is an ARRAY but holds a " + v.getClass().getSimpleName());
            }
            List<?> in = (List<?>) v;
            List<Object> out = new ArrayList<>(in.size());
            for (Object e : in) {
                if (e == null) {
                    throw new BadValue("column '" + c.name() + "' holds an array with a null element; Neo4j lists cannot hold nulls");
                }
                if (e instanceof List || e instanceof Map) {
                    throw new BadValue("column '" + c.name() + "' holds a nested array; Neo4j lists cannot be nested");
                }
                out.add(scalar(c.name(), c.elementType(), e));
            }
            return out;
        }
        return scalar(c.name(), t, v);
    }

    private static Object scalar(String column, LogicalType t, Object v) throws BadValue {
        switch (t) {
            case INT32:
            case INT64:
                if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                    return ((Number) v).longValue();
                }
                break;
            case DECIMAL:
                if (v instanceof BigDecimal) {
                    return ((BigDecimal) v).toPlainString();
                }
                break;
            case UUID:
                if (v instanceof UUID || v instanceof String) {
                    return v.toString();
                }
                break;
            case TIMESTAMP_TZ:
                if (v instanceof Instant) {
                    return OffsetDateTime.ofInstant((Instant) v, ZoneOffset.UTC);
                }
                if (v instanceof OffsetDateTime) {
                    return v;
                }
                break;
            case JSON:
                try {
                    return JSON.writeValueAsString(v);
                } catch (JsonProcessingException e) {
                    throw new BadValue("column '" + column + "': cannot write JSON: " + e.getOriginalMessage());
                }
            case FLOAT64:
                if (v instanceof Number) {
                    return ((Number) v).doubleValue();
                }
                break;
            case BYTES:
                if (v instanceof byte[]) {
                    return v;
                }
                break;
            default:
                if (t.accepts(v)) {
                    return v;
                }
        }
        throw new BadValue("column '" + column + "' of type " + t + " holds a " + v.getClass().getSimpleName());
    }

    /**
     * A property value as the Java type of {@code t} (the reverse of {@link #toGraph}); a value of another type
     * than expected becomes its text when {@code t} is STRING.
     */
    static Object fromGraph(Value v, LogicalType t, LogicalType element) {
        if (v == null || v.isNull()) {
            return null;
        }
        TypeSystem ts = TypeSystem.getDefault();
        switch (t) {
            case STRING:
                return v.hasType(ts.STRING()) ? v.asString() : v.asObject().toString();
            case INT32:
                return v.asInt();
            case INT64:
                return v.asLong();
            case FLOAT64:
                return v.asDouble();
            case BOOLEAN:
                return v.asBoolean();
            case BYTES:
                return v.asByteArray();
            case DATE:
                return v.asLocalDate();
            case TIMESTAMP:
                return v.asLocalDateTime();
            case TIMESTAMP_TZ:
                return v.asZonedDateTime().toInstant();
            case TIME:
                return v.asLocalTime();
            case DECIMAL:
                return v.hasType(ts.STRING()) ? new BigDecimal(v.asString()) : new BigDecimal(v.asObject().toString());
            case UUID:
                return UUID.fromString(v.asString());
            case JSON:
                if (v.hasType(ts.STRING())) {
                    try {
                        return JSON.readValue(v.asString(), Object.class);
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException("property holds no valid JSON: " + e.getOriginalMessage(), e);
                    }
                }
                return v.asObject();
            case ARRAY:
                List<Object> out = new ArrayList<>(v.size());
                for (Value e : v.values()) {
                    out.add(fromGraph(e, element == null ? LogicalType.STRING : element, null));
                }
                return out;
            default:
                return v.asObject();
        }
    }

    /** Orders keys for writing (locks taken in one order); values of one key column share a type. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compareKeys(List<Object> a, List<Object> b) {
        for (int i = 0; i < a.size(); i++) {
            Object x = a.get(i);
            Object y = b.get(i);
            int c;
            if (x == null || y == null) {
                c = x == null ? (y == null ? 0 : -1) : 1;
            } else if (x instanceof byte[] && y instanceof byte[]) {
                c = Arrays.compareUnsigned((byte[]) x, (byte[]) y);
            } else if (x instanceof Comparable && x.getClass() == y.getClass()) {
                c = ((Comparable) x).compareTo(y);
            } else {
                c = String.valueOf(x).compareTo(String.valueOf(y));
            }
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }
}
