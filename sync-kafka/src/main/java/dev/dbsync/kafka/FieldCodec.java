package dev.dbsync.kafka;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * How one column travels in the Debezium/Connect JSON envelope: the field's Connect schema (type, logical name,
 * parameters) and the conversion of a dbsync value to and from its JSON form. Built from a dbsync {@link Column}
 * when writing, from a field schema when reading (so topics written by Debezium are read too).
 */
final class FieldCodec {

    /** The wire forms, named after the Connect/Debezium types they produce. */
    enum Kind {
        STRING("string", null), INT32("int32", null), INT64("int64", null), FLOAT64("double", null),
        BOOLEAN("boolean", null), BYTES("bytes", null),
        DECIMAL("bytes", "org.apache.kafka.connect.data.Decimal"),
        VARIABLE_DECIMAL("struct", "io.debezium.data.VariableScaleDecimal"),
        DECIMAL_STRING("string", null), DECIMAL_DOUBLE("double", null),
        UUID("string", "io.debezium.data.Uuid"),
        DATE("int32", "io.debezium.time.Date"),
        TIMESTAMP_MILLIS("int64", "io.debezium.time.Timestamp"),
        TIMESTAMP_MICROS("int64", "io.debezium.time.MicroTimestamp"),
        TIMESTAMP_NANOS("int64", "io.debezium.time.NanoTimestamp"),
        TIMESTAMP_TZ("string", "io.debezium.time.ZonedTimestamp"),
        TIME_MILLIS("int32", "io.debezium.time.Time"),
        TIME_MICROS("int64", "io.debezium.time.MicroTime"),
        TIME_NANOS("int64", "io.debezium.time.NanoTime"),
        JSON("string", "io.debezium.data.Json"),
        /** A struct or map read from a foreign topic: kept as a JSON document. */
        STRUCT_AS_JSON("struct", null),
        ARRAY("array", null);

        final String type;
        final String logicalName;

        Kind(String type, String logicalName) {
            this.type = type;
            this.logicalName = logicalName;
        }
    }

    static final String PARAM_TYPE = "dbsync.type";
    static final String PARAM_PRECISION = "dbsync.precision";
    static final String PARAM_SCALE = "dbsync.scale";
    static final String PARAM_SOURCE_TYPE = "dbsync.source.type";
    static final String PARAM_ELEMENT = "dbsync.element.type";

    final Kind kind;
    final Column column;
    final FieldCodec element;
    private final int scale;
    private final ObjectMapper json;

    private FieldCodec(Kind kind, Column column, FieldCodec element, int scale, ObjectMapper json) {
        this.kind = kind;
        this.column = column;
        this.element = element;
        this.scale = scale;
        this.json = json;
    }

    /** The codec that writes a column of a dbsync schema. */
    static FieldCodec forColumn(Column c, DecimalHandling decimals, ObjectMapper json) {
        return forType(c, c.type(), decimals, json);
    }

    private static FieldCodec forType(Column c, LogicalType type, DecimalHandling decimals, ObjectMapper json) {
        switch (type) {
            case STRING: return new FieldCodec(Kind.STRING, c, null, 0, json);
            case INT32: return new FieldCodec(Kind.INT32, c, null, 0, json);
            case INT64: return new FieldCodec(Kind.INT64, c, null, 0, json);
            case FLOAT64: return new FieldCodec(Kind.FLOAT64, c, null, 0, json);
            case BOOLEAN: return new FieldCodec(Kind.BOOLEAN, c, null, 0, json);
            case BYTES: return new FieldCodec(Kind.BYTES, c, null, 0, json);
            case UUID: return new FieldCodec(Kind.UUID, c, null, 0, json);
            case DATE: return new FieldCodec(Kind.DATE, c, null, 0, json);
            case TIMESTAMP: return new FieldCodec(c.precision() > 6 ? Kind.TIMESTAMP_NANOS : Kind.TIMESTAMP_MICROS, c, null, 0, json);
            case TIMESTAMP_TZ: return new FieldCodec(Kind.TIMESTAMP_TZ, c, null, 0, json);
            case TIME: return new FieldCodec(c.precision() > 6 ? Kind.TIME_NANOS : Kind.TIME_MICROS, c, null, 0, json);
            case JSON: return new FieldCodec(Kind.JSON, c, null, 0, json);
            case DECIMAL:
                switch (decimals) {
                    case STRING: return new FieldCodec(Kind.DECIMAL_STRING, c, null, c.scale(), json);
                    case DOUBLE: return new FieldCodec(Kind.DECIMAL_DOUBLE, c, null, c.scale(), json);
                    default:
                        return c.precision() > 0
                                ? new FieldCodec(Kind.DECIMAL, c, null, c.scale(), json)
                                : new FieldCodec(Kind.VARIABLE_DECIMAL, c, null, 0, json);
                }
            case ARRAY:
                return new FieldCodec(Kind.ARRAY, c, forType(Column.of(c.name(), c.elementType()), c.elementType(), decimals, json), 0, json);
            default:
                throw new IllegalArgumentException("column '" + c.name() + "': no Kafka form for type " + type);
        }
    }

    /**
     * The codec that reads a field of a topic's value schema, and the dbsync column it stands for. Fields
     * written by dbsync carry the exact column in their parameters; Debezium's are mapped from their types.
     */
    static FieldCodec forField(JsonNode field, boolean key, ObjectMapper json) {
        String name = field.path("field").asText();
        boolean nullable = !key && field.path("optional").asBoolean(true);
        JsonNode params = field.path("parameters");
        String type = field.path("type").asText();
        String logical = field.path("name").asText(null);
        Kind kind = kindOf(type, logical);
        if (kind == null) {
            throw new IllegalArgumentException("field '" + name + "' has a type this source cannot read: " + type
                    + (logical == null ? "" : " (" + logical + ")"));
        }
        FieldCodec element = null;
        LogicalType lt;
        if (kind == Kind.ARRAY) {
            element = forField(((ObjectNode) field.path("items").deepCopy()).put("field", name), false, json);
            lt = LogicalType.ARRAY;
        } else {
            lt = logicalTypeOf(kind);
        }
        int precision = 0;
        int scale = 0;
        if (kind == Kind.DECIMAL) {
            scale = params.path("scale").asInt(0);
            precision = params.path("connect.decimal.precision").asInt(0);
        }
        String sourceType = null;
        if (params.has(PARAM_TYPE)) {
            // written by dbsync: the exact column
            lt = LogicalType.valueOf(params.get(PARAM_TYPE).asText());
            precision = params.path(PARAM_PRECISION).asInt(precision);
            scale = params.path(PARAM_SCALE).asInt(scale);
            sourceType = params.path(PARAM_SOURCE_TYPE).asText(null);
        } else if (params.has("__debezium.source.column.type")) {
            sourceType = params.get("__debezium.source.column.type").asText();
        }
        LogicalType elementType = lt == LogicalType.ARRAY ? element.column.type() : null;
        Column c = new Column(name, lt, nullable, precision, scale, elementType, sourceType);
        return new FieldCodec(kind, c, element, scale, json);
    }

    private static Kind kindOf(String type, String logical) {
        if (logical != null) {
            for (Kind k : Kind.values()) {
                if (logical.equals(k.logicalName)) {
                    return k;
                }
            }
            switch (logical) {
                case "org.apache.kafka.connect.data.Date": return Kind.DATE;
                case "org.apache.kafka.connect.data.Timestamp": return Kind.TIMESTAMP_MILLIS;
                case "org.apache.kafka.connect.data.Time": return Kind.TIME_MILLIS;
                case "io.debezium.time.ZonedTime": return Kind.STRING;
                default: break;
            }
        }
        switch (type) {
            case "string": return Kind.STRING;
            case "int8": case "int16": case "int32": return Kind.INT32;
            case "int64": return Kind.INT64;
            case "float": case "float32": case "double": case "float64": return Kind.FLOAT64;
            case "boolean": return Kind.BOOLEAN;
            case "bytes": return Kind.BYTES;
            case "array": return Kind.ARRAY;
            case "struct": case "map": return Kind.STRUCT_AS_JSON;
            default: return null;
        }
    }

    private static LogicalType logicalTypeOf(Kind k) {
        switch (k) {
            case STRING: return LogicalType.STRING;
            case INT32: return LogicalType.INT32;
            case INT64: return LogicalType.INT64;
            case FLOAT64: return LogicalType.FLOAT64;
            case BOOLEAN: return LogicalType.BOOLEAN;
            case BYTES: return LogicalType.BYTES;
            case DECIMAL: case VARIABLE_DECIMAL: case DECIMAL_STRING: case DECIMAL_DOUBLE: return LogicalType.DECIMAL;
            case UUID: return LogicalType.UUID;
            case DATE: return LogicalType.DATE;
            case TIMESTAMP_MILLIS: case TIMESTAMP_MICROS: case TIMESTAMP_NANOS: return LogicalType.TIMESTAMP;
            case TIMESTAMP_TZ: return LogicalType.TIMESTAMP_TZ;
            case TIME_MILLIS: case TIME_MICROS: case TIME_NANOS: return LogicalType.TIME;
            case JSON: case STRUCT_AS_JSON: return LogicalType.JSON;
            default: return LogicalType.ARRAY;
        }
    }

    /** Writes this field's Connect schema (without the {@code field} name when {@code name} is null). */
    void writeSchema(JsonGenerator g, String name, boolean optional) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", kind.type);
        g.writeBooleanField("optional", optional);
        if (kind.logicalName != null) {
            g.writeStringField("name", kind.logicalName);
            g.writeNumberField("version", 1);
        }
        if (kind == Kind.ARRAY) {
            g.writeFieldName("items");
            element.writeSchema(g, null, true);
        }
        if (kind == Kind.VARIABLE_DECIMAL) {
            g.writeArrayFieldStart("fields");
            g.writeRawValue("{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"}");
            g.writeRawValue("{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}");
            g.writeEndArray();
        }
        g.writeObjectFieldStart("parameters");
        if (kind == Kind.DECIMAL) {
            g.writeStringField("scale", Integer.toString(column.scale()));
            g.writeStringField("connect.decimal.precision", Integer.toString(column.precision()));
        }
        if (name != null) {
            g.writeStringField(PARAM_TYPE, column.type().name());
            if (column.precision() > 0) {
                g.writeStringField(PARAM_PRECISION, Integer.toString(column.precision()));
            }
            if (column.scale() > 0) {
                g.writeStringField(PARAM_SCALE, Integer.toString(column.scale()));
            }
            if (column.sourceType() != null) {
                g.writeStringField(PARAM_SOURCE_TYPE, column.sourceType());
            }
        }
        g.writeEndObject();
        if (name != null) {
            g.writeStringField("field", name);
        }
        g.writeEndObject();
    }

    /** Writes a value (never null here); throws IllegalArgumentException naming the column when it does not fit. */
    void write(JsonGenerator g, Object v) throws IOException {
        switch (kind) {
            case STRING: g.writeString(v.toString()); break;
            case INT32: g.writeNumber(((Number) v).intValue()); break;
            case INT64: g.writeNumber(((Number) v).longValue()); break;
            case FLOAT64: g.writeNumber(((Number) v).doubleValue()); break;
            case BOOLEAN: g.writeBoolean((Boolean) v); break;
            case BYTES: g.writeBinary((byte[]) v); break;
            case UUID: g.writeString(v.toString()); break;
            case DATE: g.writeNumber((int) ((LocalDate) v).toEpochDay()); break;
            case TIMESTAMP_MICROS: {
                LocalDateTime t = (LocalDateTime) v;
                long s = t.toEpochSecond(ZoneOffset.UTC);
                g.writeNumber(Math.addExact(Math.multiplyExact(s, 1_000_000L), t.getNano() / 1000));
                break;
            }
            case TIMESTAMP_NANOS: {
                LocalDateTime t = (LocalDateTime) v;
                g.writeNumber(Math.addExact(Math.multiplyExact(t.toEpochSecond(ZoneOffset.UTC), 1_000_000_000L), t.getNano()));
                break;
            }
            case TIMESTAMP_TZ: g.writeString(toInstant(v).toString()); break;
            case TIME_MICROS: g.writeNumber(((LocalTime) v).toNanoOfDay() / 1000); break;
            case TIME_NANOS: g.writeNumber(((LocalTime) v).toNanoOfDay()); break;
            case JSON: g.writeString(json.writeValueAsString(v)); break;
            case DECIMAL: {
                BigDecimal d = (BigDecimal) v;
                if (d.scale() != scale) {
                    try {
                        d = d.setScale(scale, RoundingMode.UNNECESSARY);
                    } catch (ArithmeticException e) {
                        throw new IllegalArgumentException("column '" + column.name() + "': " + d.toPlainString()
                                + " has more than the column's " + scale + " decimal places");
                    }
                }
                if (column.precision() > 0 && d.precision() > column.precision()) {
                    throw new IllegalArgumentException("column '" + column.name() + "': " + d.toPlainString()
                            + " has more than the column's " + column.precision() + " digits");
                }
                g.writeBinary(d.unscaledValue().toByteArray());
                break;
            }
            case VARIABLE_DECIMAL: {
                BigDecimal d = (BigDecimal) v;
                g.writeStartObject();
                g.writeNumberField("scale", d.scale());
                g.writeFieldName("value");
                g.writeBinary(d.unscaledValue().toByteArray());
                g.writeEndObject();
                break;
            }
            case DECIMAL_STRING: g.writeString(((BigDecimal) v).toPlainString()); break;
            case DECIMAL_DOUBLE: g.writeNumber(((BigDecimal) v).doubleValue()); break;
            case ARRAY: {
                g.writeStartArray();
                for (Object e : (List<?>) v) {
                    if (e == null) {
                        g.writeNull();
                    } else {
                        element.write(g, e);
                    }
                }
                g.writeEndArray();
                break;
            }
            default:
                throw new IllegalStateException("no writer for " + kind);
        }
    }

    private static Instant toInstant(Object v) {
        return v instanceof OffsetDateTime ? ((OffsetDateTime) v).toInstant() : (Instant) v;
    }

    /** Reads a JSON value back into the column's Java type; JSON null gives null. */
    Object read(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        switch (kind) {
            case STRING: return n.isTextual() ? n.asText() : n.toString();
            case INT32: return n.asInt();
            case INT64: return n.asLong();
            case FLOAT64: return n.isTextual() ? Double.valueOf(n.asText()) : n.asDouble();
            case BOOLEAN: return n.asBoolean();
            case BYTES: return Base64.getDecoder().decode(n.asText());
            case UUID: return java.util.UUID.fromString(n.asText());
            case DATE: return LocalDate.ofEpochDay(n.asLong());
            case TIMESTAMP_MILLIS: return fromEpoch(n.asLong(), 1_000L);
            case TIMESTAMP_MICROS: return fromEpoch(n.asLong(), 1_000_000L);
            case TIMESTAMP_NANOS: return fromEpoch(n.asLong(), 1_000_000_000L);
            case TIMESTAMP_TZ: return OffsetDateTime.parse(n.asText()).toInstant();
            case TIME_MILLIS: return LocalTime.ofNanoOfDay(n.asLong() * 1_000_000L);
            case TIME_MICROS: return LocalTime.ofNanoOfDay(n.asLong() * 1_000L);
            case TIME_NANOS: return LocalTime.ofNanoOfDay(n.asLong());
            case JSON: {
                try {
                    return json.readValue(n.asText(), Object.class);
                } catch (IOException e) {
                    throw new IllegalArgumentException("field '" + column.name() + "' holds invalid JSON text", e);
                }
            }
            case STRUCT_AS_JSON: return json.convertValue(n, Object.class);
            case DECIMAL: return new BigDecimal(new BigInteger(Base64.getDecoder().decode(n.asText())), scale);
            case VARIABLE_DECIMAL:
                return new BigDecimal(new BigInteger(Base64.getDecoder().decode(n.path("value").asText())), n.path("scale").asInt());
            case DECIMAL_STRING: return new BigDecimal(n.asText());
            case DECIMAL_DOUBLE: return new BigDecimal(n.asText());
            case ARRAY: {
                List<Object> out = new ArrayList<>(n.size());
                for (JsonNode e : n) {
                    out.add(element.read(e));
                }
                return out;
            }
            default:
                throw new IllegalStateException("no reader for " + kind);
        }
    }

    /** A DECIMAL written as a string or double by dbsync reads back as a decimal: its column says so. */
    Object readAs(JsonNode n) {
        Object v = read(n);
        if (v == null) {
            return null;
        }
        if (column.type() == LogicalType.DECIMAL && !(v instanceof BigDecimal)) {
            return new BigDecimal(v.toString());
        }
        if (column.type() == LogicalType.UUID && v instanceof String) {
            return UUID.fromString((String) v);
        }
        return v;
    }

    private static LocalDateTime fromEpoch(long value, long perSecond) {
        long s = Math.floorDiv(value, perSecond);
        long frac = Math.floorMod(value, perSecond);
        return LocalDateTime.ofEpochSecond(s, (int) (frac * (1_000_000_000L / perSecond)), ZoneOffset.UTC);
    }
}
