package dev.dbsync.mongo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.UuidRepresentation;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * Conversions between BSON values and the Java types of dbsync's logical types, in both directions, and the
 * inference of a column's type from the values a field holds. Exact wherever BSON and the logical type can hold
 * the same values; the exceptions are documented in the README (times below a millisecond).
 *
 * <p>A column's {@link Column#sourceType()} records the BSON type it came from where the logical type alone
 * cannot say it ({@code objectId}, {@code timestamp}, {@code binary:N}, {@code bson} for keys of several BSON
 * types), so values, keys in positions and documents written back to MongoDB regain their BSON type.
 */
final class BsonValues {

    static final String OBJECT_ID = "objectId";
    static final String TIMESTAMP = "timestamp";
    static final String BSON = "bson";
    static final String MIXED = "mixed";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonWriterSettings RELAXED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();
    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    private BsonValues() {
    }

    // ---------------------------------------------------------------------------------------------------------
    // inference

    /** Collects the BSON types one field was seen with, to infer its column. */
    static final class FieldTypes {
        final Set<BsonType> types = EnumSet.noneOf(BsonType.class);
        final Set<Byte> binarySubtypes = new java.util.HashSet<>();
        FieldTypes elements;
        boolean nullSeen;

        void add(BsonValue v) {
            if (v == null || v.isNull() || v.getBsonType() == BsonType.UNDEFINED) {
                nullSeen = true;
                return;
            }
            types.add(v.getBsonType());
            if (v.isBinary()) {
                binarySubtypes.add(v.asBinary().getType());
            } else if (v.isArray()) {
                if (elements == null) {
                    elements = new FieldTypes();
                }
                for (BsonValue e : v.asArray()) {
                    elements.add(e);
                }
            }
        }

        /** The column for these types; {@code key} columns of several types keep their exact BSON as text. */
        Column column(String name, boolean key) {
            Column c = infer(name);
            if (key && (c.type() == LogicalType.JSON || c.type() == LogicalType.ARRAY)) {
                return new Column(name, LogicalType.STRING, false, 0, 0, null, BSON);
            }
            return key ? c.withNullable(false) : c;
        }

        private Column infer(String name) {
            if (types.isEmpty()) {
                return new Column(name, LogicalType.STRING, true, 0, 0, null, "null");
            }
            if (types.size() == 1) {
                BsonType t = types.iterator().next();
                switch (t) {
                    case STRING:
                        return new Column(name, LogicalType.STRING, true, 0, 0, null, "string");
                    case OBJECT_ID:
                        return new Column(name, LogicalType.STRING, true, 24, 0, null, OBJECT_ID);
                    case INT32:
                        return new Column(name, LogicalType.INT32, true, 0, 0, null, "int");
                    case INT64:
                        return new Column(name, LogicalType.INT64, true, 0, 0, null, "long");
                    case DOUBLE:
                        return new Column(name, LogicalType.FLOAT64, true, 0, 0, null, "double");
                    case DECIMAL128:
                        return new Column(name, LogicalType.DECIMAL, true, 0, 0, null, "decimal");
                    case BOOLEAN:
                        return new Column(name, LogicalType.BOOLEAN, true, 0, 0, null, "bool");
                    case DATE_TIME:
                        return new Column(name, LogicalType.TIMESTAMP_TZ, true, 3, 0, null, "date");
                    case TIMESTAMP:
                        return new Column(name, LogicalType.INT64, true, 0, 0, null, TIMESTAMP);
                    case BINARY:
                        if (binarySubtypes.size() == 1) {
                            byte st = binarySubtypes.iterator().next();
                            if (st == BsonBinarySubType.UUID_STANDARD.getValue()) {
                                return new Column(name, LogicalType.UUID, true, 0, 0, null, "binary:4");
                            }
                            return new Column(name, LogicalType.BYTES, true, 0, 0, null, "binary:" + (st & 0xff));
                        }
                        return new Column(name, LogicalType.JSON, true, 0, 0, null, MIXED);
                    case DOCUMENT:
                        return new Column(name, LogicalType.JSON, true, 0, 0, null, "object");
                    case ARRAY:
                        if (elements != null && !elements.types.isEmpty()) {
                            Column e = elements.infer(name);
                            if (e.type() != LogicalType.JSON && e.type() != LogicalType.ARRAY && e.sourceType() != null
                                    && !e.sourceType().startsWith("binary:") && !OBJECT_ID.equals(e.sourceType())
                                    && !TIMESTAMP.equals(e.sourceType())) {
                                return new Column(name, LogicalType.ARRAY, true, 0, 0, e.type(), "array");
                            }
                        }
                        return new Column(name, LogicalType.JSON, true, 0, 0, null, "array");
                    default:
                        return new Column(name, LogicalType.JSON, true, 0, 0, null, t.name().toLowerCase(java.util.Locale.ROOT));
                }
            }
            Set<BsonType> numeric = EnumSet.of(BsonType.INT32, BsonType.INT64, BsonType.DOUBLE, BsonType.DECIMAL128);
            if (numeric.containsAll(types)) {
                if (!types.contains(BsonType.DOUBLE) && !types.contains(BsonType.DECIMAL128)) {
                    return new Column(name, LogicalType.INT64, true, 0, 0, null, "long");
                }
                if (types.contains(BsonType.DECIMAL128) || types.contains(BsonType.INT64)) {
                    // a double beside 64-bit integers or decimals: only a decimal holds all of them exactly
                    return new Column(name, LogicalType.DECIMAL, true, 0, 0, null, "number");
                }
                return new Column(name, LogicalType.FLOAT64, true, 0, 0, null, "double");
            }
            return new Column(name, LogicalType.JSON, true, 0, 0, null, MIXED);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // BSON -> Java

    /**
     * The Java value of {@code v} for {@code column}; {@code where} names the collection and document for the
     * error when the value does not fit the column (a field whose type changed after the schema was taken).
     */
    static Object toJava(BsonValue v, Column column, String where) {
        if (v == null || v.isNull() || v.getBsonType() == BsonType.UNDEFINED) {
            return null;
        }
        String st = column.sourceType();
        switch (column.type()) {
            case STRING:
                if (BSON.equals(st)) {
                    return canonical(v);
                }
                if (v.isString()) {
                    return v.asString().getValue();
                }
                if (v.isObjectId()) {
                    return v.asObjectId().getValue().toHexString();
                }
                if (v.isSymbol()) {
                    return v.asSymbol().getSymbol();
                }
                throw mismatch(v, column, where);
            case INT32:
                if (v.isInt32()) {
                    return v.asInt32().getValue();
                }
                throw mismatch(v, column, where);
            case INT64:
                if (v.isInt64() || v.isInt32()) {
                    return v.asNumber().longValue();
                }
                if (v.isTimestamp()) {
                    return v.asTimestamp().getValue();
                }
                throw mismatch(v, column, where);
            case FLOAT64:
                if (v.isDouble()) {
                    return v.asDouble().getValue();
                }
                if (v.isInt32() || (v.isInt64() && Math.abs(v.asInt64().getValue()) <= (1L << 53))) {
                    return v.asNumber().doubleValue();
                }
                throw mismatch(v, column, where);
            case DECIMAL:
                if (v.isDecimal128()) {
                    Decimal128 d = v.asDecimal128().getValue();
                    if (d.isNaN() || d.isInfinite()) {
                        throw new DataException((where == null ? "" : where + ": ") + "field '" + column.name() + "' holds the Decimal128 " + d
                                + ", which a DECIMAL cannot hold");
                    }
                    try {
                        return d.bigDecimalValue();
                    } catch (ArithmeticException negativeZero) {
                        // BigDecimal has no negative zero: through the text it is zero with the same scale
                        return new BigDecimal(d.toString());
                    }
                }
                if (v.isInt32() || v.isInt64()) {
                    return BigDecimal.valueOf(v.asNumber().longValue());
                }
                if (v.isDouble() && Double.isFinite(v.asDouble().getValue())) {
                    return new BigDecimal(Double.toString(v.asDouble().getValue()));
                }
                throw mismatch(v, column, where);
            case BOOLEAN:
                if (v.isBoolean()) {
                    return v.asBoolean().getValue();
                }
                throw mismatch(v, column, where);
            case BYTES:
                if (v.isBinary()) {
                    return v.asBinary().getData();
                }
                throw mismatch(v, column, where);
            case UUID:
                if (v.isBinary() && v.asBinary().getType() == BsonBinarySubType.UUID_STANDARD.getValue()) {
                    return v.asBinary().asUuid();
                }
                throw mismatch(v, column, where);
            case TIMESTAMP_TZ:
                if (v.isDateTime()) {
                    return Instant.ofEpochMilli(v.asDateTime().getValue());
                }
                throw mismatch(v, column, where);
            case TIMESTAMP:
                if (v.isDateTime()) {
                    return LocalDateTime.ofInstant(Instant.ofEpochMilli(v.asDateTime().getValue()), ZoneOffset.UTC);
                }
                throw mismatch(v, column, where);
            case DATE:
                if (v.isDateTime()) {
                    return LocalDate.ofInstant(Instant.ofEpochMilli(v.asDateTime().getValue()), ZoneOffset.UTC);
                }
                throw mismatch(v, column, where);
            case ARRAY:
                if (v.isArray()) {
                    Column element = new Column(column.name(), column.elementType(), true, 0, 0, null, null);
                    List<Object> out = new ArrayList<>(v.asArray().size());
                    for (BsonValue e : v.asArray()) {
                        out.add(toJava(e, element, where));
                    }
                    return out;
                }
                throw mismatch(v, column, where);
            case JSON:
                return toJson(v);
            default:
                throw mismatch(v, column, where);
        }
    }

    private static DataException mismatch(BsonValue v, Column column, String where) {
        return new DataException((where == null ? "" : where + ": ") + "field '" + column.name() + "' holds a BSON " + v.getBsonType()
                + " where its column is " + column.type() + (column.sourceType() == null ? "" : " (" + column.sourceType() + ")")
                + "; the field's type changed after the schema was taken: describe the table again, or use mode: document");
    }

    /**
     * A JSON value of {@code v}: documents as maps (field order kept), arrays as lists, strings, 32- and 64-bit
     * integers, finite doubles, booleans and null as themselves; finite decimals as {@link BigDecimal} (scale kept,
     * so {@code 12.50} stays {@code 12.50}); every other BSON type (and NaN, infinite and negative-zero decimals)
     * as its MongoDB Extended JSON (relaxed) wrapper, e.g. {@code {"$oid": "…"}}, which
     * {@link #jsonToBson(Object)} turns back into the same BSON value.
     */
    static Object toJson(BsonValue v) {
        switch (v.getBsonType()) {
            case NULL:
            case UNDEFINED:
                return null;
            case DOCUMENT: {
                BsonDocument d = v.asDocument();
                Map<String, Object> m = new LinkedHashMap<>(d.size() * 2);
                for (Map.Entry<String, BsonValue> e : d.entrySet()) {
                    m.put(e.getKey(), toJson(e.getValue()));
                }
                return m;
            }
            case ARRAY: {
                List<Object> l = new ArrayList<>(v.asArray().size());
                for (BsonValue e : v.asArray()) {
                    l.add(toJson(e));
                }
                return l;
            }
            case STRING:
                return v.asString().getValue();
            case INT32:
                return v.asInt32().getValue();
            case INT64:
                return v.asInt64().getValue();
            case BOOLEAN:
                return v.asBoolean().getValue();
            case DOUBLE:
                if (Double.isFinite(v.asDouble().getValue())) {
                    return v.asDouble().getValue();
                }
                return wrapper(v);
            case DECIMAL128: {
                Decimal128 d = v.asDecimal128().getValue();
                if (d.isNaN() || d.isInfinite()) {
                    return wrapper(v);
                }
                try {
                    return d.bigDecimalValue();
                } catch (ArithmeticException negativeZero) {
                    return wrapper(v);
                }
            }
            default:
                return wrapper(v);
        }
    }

    private static Object wrapper(BsonValue v) {
        String json = new BsonDocument("v", v).toJson(RELAXED);
        try {
            return JSON.readValue(json, Map.class).get("v");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot read the driver's own Extended JSON " + json, e);
        }
    }

    /** The canonical Extended JSON text of a value (exact for every BSON type). */
    static String canonical(BsonValue v) {
        String json = new BsonDocument("v", v).toJson(CANONICAL);
        // {"v": <value>}
        return json.substring(json.indexOf(':') + 1, json.length() - 1).trim();
    }

    /** The relaxed Extended JSON text of a value, for messages ({@code 2}, {@code "a"}, {@code {"$oid": …}}). */
    static String relaxed(BsonValue v) {
        String json = new BsonDocument("v", v).toJson(RELAXED);
        return json.substring(json.indexOf(':') + 1, json.length() - 1).trim();
    }

    static BsonValue fromCanonical(String text) {
        return BsonDocument.parse("{\"v\": " + text + "}").get("v");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Java -> BSON

    /** The BSON value of a Java value of {@code column}; a value the column's type cannot carry is refused. */
    static BsonValue toBson(Object value, Column column) {
        if (value == null) {
            return BsonNull.VALUE;
        }
        String st = column.sourceType();
        try {
            switch (column.type()) {
                case STRING:
                    if (BSON.equals(st)) {
                        return fromCanonical((String) value);
                    }
                    if (OBJECT_ID.equals(st) && ObjectId.isValid((String) value)) {
                        return new BsonObjectId(new ObjectId((String) value));
                    }
                    return new BsonString((String) value);
                case INT32:
                    return new BsonInt32((Integer) value);
                case INT64:
                    if (TIMESTAMP.equals(st)) {
                        return new BsonTimestamp((Long) value);
                    }
                    return new BsonInt64((Long) value);
                case FLOAT64:
                    return new BsonDouble((Double) value);
                case DECIMAL:
                    return new BsonDecimal128(decimal128((BigDecimal) value, column));
                case BOOLEAN:
                    return BsonBoolean.valueOf((Boolean) value);
                case BYTES:
                    return new BsonBinary(binarySubtype(st), (byte[]) value);
                case UUID:
                    return new BsonBinary((UUID) value, UuidRepresentation.STANDARD);
                case DATE:
                    return new BsonDateTime(Math.multiplyExact(((LocalDate) value).toEpochDay(), 86_400_000L));
                case TIMESTAMP:
                    return new BsonDateTime(((LocalDateTime) value).toInstant(ZoneOffset.UTC).toEpochMilli());
                case TIMESTAMP_TZ:
                    Instant i = value instanceof OffsetDateTime ? ((OffsetDateTime) value).toInstant() : (Instant) value;
                    return new BsonDateTime(i.toEpochMilli());
                case JSON:
                    return jsonToBson(value);
                case ARRAY: {
                    Column element = new Column(column.name(), column.elementType(), true, 0, 0, null, null);
                    BsonArray a = new BsonArray();
                    for (Object e : (List<?>) value) {
                        a.add(toBson(e, element));
                    }
                    return a;
                }
                default:
                    // types newer than this sink reach it as their fallback (Sink#supportedTypes)
                    return new BsonString(String.valueOf(value));
            }
        } catch (ClassCastException e) {
            throw new DataException("column '" + column.name() + "' is " + column.type() + " but the value is a "
                    + value.getClass().getSimpleName());
        } catch (ArithmeticException e) {
            throw new DataException("column '" + column.name() + "': " + value + " is outside the range of a BSON date");
        }
    }

    private static byte binarySubtype(String sourceType) {
        if (sourceType != null && sourceType.startsWith("binary:")) {
            try {
                int n = Integer.parseInt(sourceType.substring(7));
                // subtype 4 holds only UUIDs and 3 only legacy UUIDs: other bytes stay generic binary
                if (n != 3 && n != 4 && n >= 0 && n <= 255) {
                    return (byte) n;
                }
            } catch (NumberFormatException ignored) {
                // not ours: generic binary
            }
        }
        return BsonBinarySubType.BINARY.getValue();
    }

    private static Decimal128 decimal128(BigDecimal d, Column column) {
        try {
            return new Decimal128(d);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new DataException("column '" + column.name() + "': " + d.toPlainString()
                    + " does not fit a BSON Decimal128 (at most 34 significant digits, exponent -6176 to 6111)");
        }
    }

    /**
     * The BSON value of a JSON value: maps become documents (field order kept), lists arrays; a map that is a
     * MongoDB Extended JSON wrapper ({@code {"$oid": …}}, {@code {"$date": …}}, {@code {"$numberDecimal": …}},
     * …) becomes the BSON value it describes; a {@link BigDecimal} becomes a Decimal128 so no digit is lost.
     */
    static BsonValue jsonToBson(Object value) {
        if (value == null) {
            return BsonNull.VALUE;
        } else if (value instanceof String) {
            return new BsonString((String) value);
        } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return new BsonInt32(((Number) value).intValue());
        } else if (value instanceof Long) {
            return new BsonInt64((Long) value);
        } else if (value instanceof Double || value instanceof Float) {
            return new BsonDouble(((Number) value).doubleValue());
        } else if (value instanceof BigDecimal) {
            return new BsonDecimal128(decimal128((BigDecimal) value, Column.of("json", LogicalType.JSON)));
        } else if (value instanceof BigInteger) {
            return new BsonDecimal128(decimal128(new BigDecimal((BigInteger) value), Column.of("json", LogicalType.JSON)));
        } else if (value instanceof Boolean) {
            return BsonBoolean.valueOf((Boolean) value);
        } else if (value instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) value;
            if (isWrapper(m)) {
                try {
                    return BsonDocument.parse("{\"v\": " + JSON.writeValueAsString(m) + "}").get("v");
                } catch (JsonProcessingException | RuntimeException e) {
                    // not a wrapper after all (a user document with a field named like one): keep it as a document
                }
            }
            BsonDocument d = new BsonDocument();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                d.put(String.valueOf(e.getKey()), jsonToBson(e.getValue()));
            }
            return d;
        } else if (value instanceof List) {
            BsonArray a = new BsonArray();
            for (Object e : (List<?>) value) {
                a.add(jsonToBson(e));
            }
            return a;
        }
        throw new DataException("a JSON value must be a map, list, string, number, boolean or null, not a "
                + value.getClass().getSimpleName());
    }

    private static final Set<String> WRAPPERS = Set.of("$oid", "$date", "$numberDecimal", "$numberLong", "$numberInt",
            "$numberDouble", "$binary", "$uuid", "$timestamp", "$regularExpression", "$minKey", "$maxKey", "$symbol",
            "$code", "$dbPointer", "$undefined");

    private static boolean isWrapper(Map<?, ?> m) {
        if (m.isEmpty() || m.size() > 2) {
            return false;
        }
        Object first = m.keySet().iterator().next();
        return first instanceof String && WRAPPERS.contains(first);
    }
}
