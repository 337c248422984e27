package dev.dbsync.kafka.connect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeKind;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

/**
 * dbsync change events as Debezium change events in Connect's data model, both ways: the key is a struct of the
 * primary key, the value the envelope {@code {before, after, source, op, ts_ms}} with Debezium's logical type
 * names, and each field's exact dbsync column in its schema parameters. Reading accepts what Debezium writes
 * too (its temporal, decimal, UUID and JSON types), so dbsync sinks work behind an existing Debezium deployment.
 */
final class ConnectEnvelope {

    static final String PARAM_TYPE = "dbsync.type";
    static final String PARAM_PRECISION = "dbsync.precision";
    static final String PARAM_SCALE = "dbsync.scale";
    static final String PARAM_SOURCE_TYPE = "dbsync.source.type";

    private static final ObjectMapper JSON = new ObjectMapper();

    static final Schema SOURCE = SchemaBuilder.struct().name("dev.dbsync.Source")
            .field("version", Schema.STRING_SCHEMA)
            .field("connector", Schema.STRING_SCHEMA)
            .field("name", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA)
            .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
            .field("db", Schema.OPTIONAL_STRING_SCHEMA)
            .field("schema", Schema.OPTIONAL_STRING_SCHEMA)
            .field("table", Schema.OPTIONAL_STRING_SCHEMA)
            .field("dbsync_version", Schema.OPTIONAL_INT64_SCHEMA)
            .field("dbsync_position", Schema.OPTIONAL_STRING_SCHEMA)
            .build();

    private final TableSchema table;
    private final String serverName;
    private final Schema keySchema;
    private final Schema rowSchema;
    private final Schema valueSchema;
    private final int[] keyIndexes;

    ConnectEnvelope(TableSchema table, String topic, String serverName) {
        this.table = table;
        this.serverName = serverName;
        this.keyIndexes = table.keyIndexes();
        SchemaBuilder key = SchemaBuilder.struct().name(topic + ".Key");
        for (int k : keyIndexes) {
            key.field(table.columns().get(k).name(), columnSchema(table.columns().get(k), false));
        }
        this.keySchema = key.build();
        SchemaBuilder row = SchemaBuilder.struct().name(topic + ".Value").optional();
        for (Column c : table.columns()) {
            row.field(c.name(), columnSchema(c, c.nullable() || !isKey(c.name())));
        }
        this.rowSchema = row.build();
        this.valueSchema = SchemaBuilder.struct().name(topic + ".Envelope").version(1)
                .field("before", rowSchema).field("after", rowSchema).field("source", SOURCE)
                .field("op", Schema.STRING_SCHEMA).field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).build();
    }

    private boolean isKey(String column) {
        return table.primaryKey().contains(column);
    }

    Schema keySchema() {
        return keySchema;
    }

    Schema valueSchema() {
        return valueSchema;
    }

    private static Schema columnSchema(Column c, boolean optional) {
        SchemaBuilder b = builder(c.type(), c);
        if (optional) {
            b.optional();
        }
        b.parameter(PARAM_TYPE, c.type().name());
        if (c.precision() > 0) {
            b.parameter(PARAM_PRECISION, Integer.toString(c.precision()));
        }
        if (c.scale() > 0) {
            b.parameter(PARAM_SCALE, Integer.toString(c.scale()));
        }
        if (c.sourceType() != null) {
            b.parameter(PARAM_SOURCE_TYPE, c.sourceType());
        }
        return b.build();
    }

    private static SchemaBuilder builder(LogicalType t, Column c) {
        switch (t) {
            case STRING: return SchemaBuilder.string();
            case INT32: return SchemaBuilder.int32();
            case INT64: return SchemaBuilder.int64();
            case FLOAT64: return SchemaBuilder.float64();
            case BOOLEAN: return SchemaBuilder.bool();
            case BYTES: return SchemaBuilder.bytes();
            case UUID: return SchemaBuilder.string().name("io.debezium.data.Uuid").version(1);
            case DATE: return SchemaBuilder.int32().name("io.debezium.time.Date").version(1);
            case TIMESTAMP: return SchemaBuilder.int64().name(c != null && c.precision() > 6 ? "io.debezium.time.NanoTimestamp"
                    : "io.debezium.time.MicroTimestamp").version(1);
            case TIMESTAMP_TZ: return SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").version(1);
            case TIME: return SchemaBuilder.int64().name("io.debezium.time.MicroTime").version(1);
            case JSON: return SchemaBuilder.string().name("io.debezium.data.Json").version(1);
            case DECIMAL:
                // an unknown scale cannot be a Connect Decimal: exact text instead
                return c != null && c.precision() > 0
                        ? Decimal.builder(c.scale()).parameter("connect.decimal.precision", Integer.toString(c.precision()))
                        : SchemaBuilder.string();
            case ARRAY: {
                Schema element = builder(c.elementType(), null).optional().build();
                return SchemaBuilder.array(element);
            }
            default:
                throw new IllegalArgumentException("column '" + c.name() + "': no Connect form for " + t);
        }
    }

    /** Debezium's op code of an event. */
    static String op(ChangeEvent e) {
        if (e.operation() == Operation.DELETE) {
            return "d";
        }
        ChangeKind k = e.kind();
        return k == ChangeKind.READ ? "r" : k == ChangeKind.INSERT ? "c" : "u";
    }

    Struct key(ChangeEvent e) {
        Struct s = new Struct(keySchema);
        for (int i = 0; i < keyIndexes.length; i++) {
            Column c = table.columns().get(keyIndexes[i]);
            s.put(c.name(), toConnect(c.type(), c, e.key().get(i)));
        }
        return s;
    }

    Struct value(ChangeEvent e, long nowMs) {
        Struct v = new Struct(valueSchema);
        if (e.operation() == Operation.DELETE) {
            v.put("before", e.values().isEmpty() ? keyOnlyRow(e.key()) : row(e.values()));
        } else {
            if (!e.before().isEmpty()) {
                v.put("before", row(e.before()));
            }
            v.put("after", row(e.values()));
        }
        Struct src = new Struct(SOURCE);
        src.put("version", "0.1.0");
        src.put("connector", "dbsync");
        src.put("name", serverName);
        src.put("ts_ms", nowMs);
        String op = op(e);
        src.put("snapshot", op.equals("r") ? "true" : "false");
        int dot = e.table().lastIndexOf('.');
        src.put("schema", dot < 0 ? null : e.table().substring(0, dot));
        src.put("table", dot < 0 ? e.table() : e.table().substring(dot + 1));
        src.put("dbsync_version", e.version());
        src.put("dbsync_position", e.position().encode());
        v.put("source", src);
        v.put("op", op);
        v.put("ts_ms", nowMs);
        return v;
    }

    /** The value of a truncate event: no rows, {@code op = t}. */
    Struct truncate(String sourceTable, long nowMs) {
        Struct v = new Struct(valueSchema);
        Struct src = new Struct(SOURCE);
        src.put("version", "0.1.0");
        src.put("connector", "dbsync");
        src.put("name", serverName);
        src.put("ts_ms", nowMs);
        src.put("snapshot", "false");
        src.put("table", sourceTable);
        v.put("source", src);
        v.put("op", "t");
        v.put("ts_ms", nowMs);
        return v;
    }

    private Struct row(List<Object> values) {
        Struct s = new Struct(rowSchema);
        for (int i = 0; i < values.size(); i++) {
            Column c = table.columns().get(i);
            s.put(c.name(), toConnect(c.type(), c, values.get(i)));
        }
        return s;
    }

    private Struct keyOnlyRow(List<Object> key) {
        Struct s = new Struct(rowSchema);
        for (int i = 0; i < keyIndexes.length; i++) {
            Column c = table.columns().get(keyIndexes[i]);
            s.put(c.name(), toConnect(c.type(), c, key.get(i)));
        }
        return s;
    }

    private static Object toConnect(LogicalType t, Column c, Object v) {
        if (v == null) {
            return null;
        }
        switch (t) {
            case UUID: return v.toString();
            case DATE: return (int) ((LocalDate) v).toEpochDay();
            case TIMESTAMP: {
                LocalDateTime d = (LocalDateTime) v;
                long s = d.toEpochSecond(ZoneOffset.UTC);
                return c != null && c.precision() > 6 ? s * 1_000_000_000L + d.getNano() : s * 1_000_000L + d.getNano() / 1000;
            }
            case TIMESTAMP_TZ: return (v instanceof OffsetDateTime ? ((OffsetDateTime) v).toInstant() : (Instant) v).toString();
            case TIME: return ((LocalTime) v).toNanoOfDay() / 1000;
            case JSON:
                try {
                    return JSON.writeValueAsString(v);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException("column '" + c.name() + "': not a JSON value", e);
                }
            case DECIMAL: {
                BigDecimal d = (BigDecimal) v;
                if (c != null && c.precision() > 0) {
                    try {
                        return d.setScale(c.scale(), java.math.RoundingMode.UNNECESSARY);
                    } catch (ArithmeticException e) {
                        throw new IllegalArgumentException("column '" + c.name() + "': " + d.toPlainString()
                                + " has more than its " + c.scale() + " decimal places", e);
                    }
                }
                return d.toPlainString();
            }
            case ARRAY: {
                List<Object> out = new ArrayList<>();
                for (Object e : (List<?>) v) {
                    out.add(toConnect(c.elementType(), null, e));
                }
                return out;
            }
            default: return v;
        }
    }

    // ---- reading ----

    /** The dbsync table of a Debezium envelope's value schema and key schema (the key's fields = the primary key). */
    static TableSchema tableOf(String name, Schema keySchema, Schema valueSchema) {
        Schema rowSchema;
        if (isEnvelope(valueSchema)) {
            Field after = valueSchema.field("after") != null ? valueSchema.field("after") : valueSchema.field("before");
            rowSchema = after.schema();
        } else if (valueSchema != null && valueSchema.type() == Schema.Type.STRUCT) {
            // a flattened row (Debezium's ExtractNewRecordState): the value is the row itself
            rowSchema = valueSchema;
        } else {
            throw new IllegalArgumentException("table '" + name + "': the record value is neither a change event envelope nor a row struct");
        }
        List<String> key = new ArrayList<>();
        if (keySchema != null && keySchema.type() == Schema.Type.STRUCT) {
            for (Field f : keySchema.fields()) {
                key.add(f.name());
            }
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("table '" + name + "': the record key carries no primary key struct");
        }
        List<Column> columns = new ArrayList<>();
        for (Field f : rowSchema.fields()) {
            columns.add(columnOf(f.name(), f.schema(), !key.contains(f.name()) && f.schema().isOptional()));
        }
        return new TableSchema(name, columns, key);
    }

    /** Whether a value schema is Debezium's envelope (an {@code op} and a before/after row struct). */
    static boolean isEnvelope(Schema valueSchema) {
        if (valueSchema == null || valueSchema.type() != Schema.Type.STRUCT || valueSchema.field("op") == null) {
            return false;
        }
        Field row = valueSchema.field("after") != null ? valueSchema.field("after") : valueSchema.field("before");
        return row != null && row.schema().type() == Schema.Type.STRUCT;
    }

    private static Column columnOf(String name, Schema s, boolean nullable) {
        Map<String, String> p = s.parameters() == null ? Map.of() : s.parameters();
        if (p.containsKey(PARAM_TYPE)) {
            LogicalType t = LogicalType.valueOf(p.get(PARAM_TYPE));
            LogicalType element = t == LogicalType.ARRAY ? logicalOf(s.valueSchema()) : null;
            return new Column(name, t, nullable, Integer.parseInt(p.getOrDefault(PARAM_PRECISION, "0")),
                    Integer.parseInt(p.getOrDefault(PARAM_SCALE, "0")), element, p.get(PARAM_SOURCE_TYPE));
        }
        LogicalType t = logicalOf(s);
        int precision = 0;
        int scale = 0;
        if (Decimal.LOGICAL_NAME.equals(s.name())) {
            scale = Integer.parseInt(p.getOrDefault(Decimal.SCALE_FIELD, "0"));
            precision = Integer.parseInt(p.getOrDefault("connect.decimal.precision", "0"));
        }
        return new Column(name, t, nullable, precision, scale, t == LogicalType.ARRAY ? logicalOf(s.valueSchema()) : null,
                p.get("__debezium.source.column.type"));
    }

    private static LogicalType logicalOf(Schema s) {
        Map<String, String> p = s.parameters() == null ? Map.of() : s.parameters();
        if (p.containsKey(PARAM_TYPE)) {
            return LogicalType.valueOf(p.get(PARAM_TYPE));
        }
        String n = s.name() == null ? "" : s.name();
        switch (n) {
            case "io.debezium.time.Date": case "org.apache.kafka.connect.data.Date": return LogicalType.DATE;
            case "io.debezium.time.Timestamp": case "io.debezium.time.MicroTimestamp": case "io.debezium.time.NanoTimestamp":
            case "org.apache.kafka.connect.data.Timestamp": return LogicalType.TIMESTAMP;
            case "io.debezium.time.ZonedTimestamp": return LogicalType.TIMESTAMP_TZ;
            case "io.debezium.time.Time": case "io.debezium.time.MicroTime": case "io.debezium.time.NanoTime":
            case "org.apache.kafka.connect.data.Time": return LogicalType.TIME;
            case "org.apache.kafka.connect.data.Decimal": case "io.debezium.data.VariableScaleDecimal": return LogicalType.DECIMAL;
            case "io.debezium.data.Uuid": return LogicalType.UUID;
            case "io.debezium.data.Json": return LogicalType.JSON;
            default: break;
        }
        switch (s.type()) {
            case INT8: case INT16: case INT32: return LogicalType.INT32;
            case INT64: return LogicalType.INT64;
            case FLOAT32: case FLOAT64: return LogicalType.FLOAT64;
            case BOOLEAN: return LogicalType.BOOLEAN;
            case BYTES: return LogicalType.BYTES;
            case ARRAY: return LogicalType.ARRAY;
            case STRUCT: case MAP: return LogicalType.JSON;
            default: return LogicalType.STRING;
        }
    }

    /**
     * The dbsync event of a Debezium envelope value, or null for what is not a row change (a truncate is handled
     * by the caller). {@code offsetVersion} is used when the envelope carries no version (a key stays in one
     * partition, so its offsets grow in the order of its changes).
     */
    static ChangeEvent event(TableSchema table, Struct value, Position position, long offsetVersion) {
        if (!isEnvelope(value.schema())) {
            // a flattened row: an upsert of unknown origin (its deletes come as tombstones)
            Object[] row = row(table, value);
            return ChangeEvent.upsert(table.name(), keyOf(table, row), row, offsetVersion, position);
        }
        String op = value.getString("op");
        Struct source = value.schema().field("source") == null ? null : value.getStruct("source");
        long version = 0;
        if (source != null) {
            if (source.schema().field("dbsync_version") != null && source.get("dbsync_version") != null) {
                version = source.getInt64("dbsync_version");
            } else if (source.schema().field("lsn") != null && source.get("lsn") != null) {
                version = ((Number) source.get("lsn")).longValue();
            }
        }
        if (version <= 0) {
            version = offsetVersion;
        }
        switch (op) {
            case "r": case "c": case "u": {
                Object[] after = row(table, value.getStruct("after"));
                Object[] key = keyOf(table, after);
                if (op.equals("r")) {
                    return ChangeEvent.read(table.name(), key, after, version, position);
                }
                if (op.equals("c")) {
                    return ChangeEvent.insert(table.name(), key, after, version, position);
                }
                Struct before = value.getStruct("before");
                return ChangeEvent.update(table.name(), key, after, before == null ? null : row(table, before), version, position);
            }
            case "d": {
                Object[] before = row(table, value.getStruct("before"));
                return ChangeEvent.delete(table.name(), keyOf(table, before), null, version, position);
            }
            default:
                return null;
        }
    }

    private static Object[] row(TableSchema table, Struct s) {
        if (s == null) {
            throw new IllegalArgumentException("table '" + table.name() + "': the change event has no row image");
        }
        List<Column> cols = table.columns();
        Object[] out = new Object[cols.size()];
        for (int i = 0; i < out.length; i++) {
            Field f = s.schema().field(cols.get(i).name());
            out[i] = f == null ? null : fromConnect(cols.get(i).type(), cols.get(i), f.schema(), s.get(f));
        }
        return out;
    }

    /** A delete by key from a tombstone's key struct. */
    static ChangeEvent deleteByKey(TableSchema table, Struct key, Position position, long offsetVersion) {
        int[] idx = table.keyIndexes();
        Object[] k = new Object[idx.length];
        for (int i = 0; i < idx.length; i++) {
            Column c = table.columns().get(idx[i]);
            Field f = key.schema().field(c.name());
            k[i] = f == null ? null : fromConnect(c.type(), c, f.schema(), key.get(f));
            if (k[i] == null) {
                throw new IllegalArgumentException("table '" + table.name() + "': a tombstone's key has no value for '" + c.name() + "'");
            }
        }
        return ChangeEvent.delete(table.name(), k, null, offsetVersion, position);
    }

    private static Object[] keyOf(TableSchema table, Object[] row) {
        int[] idx = table.keyIndexes();
        Object[] key = new Object[idx.length];
        for (int i = 0; i < idx.length; i++) {
            key[i] = row[idx[i]];
            if (key[i] == null) {
                throw new IllegalArgumentException("table '" + table.name() + "': a change event has no value for key column '"
                        + table.primaryKey().get(i) + "'");
            }
        }
        return key;
    }

    private static Object fromConnect(LogicalType t, Column c, Schema s, Object v) {
        if (v == null) {
            return null;
        }
        String n = s.name() == null ? "" : s.name();
        switch (t) {
            case STRING: return v.toString();
            case INT32: return ((Number) v).intValue();
            case INT64: return ((Number) v).longValue();
            case FLOAT64: return ((Number) v).doubleValue();
            case BOOLEAN: return v;
            case BYTES: return v instanceof ByteBuffer ? bytes((ByteBuffer) v) : v;
            case UUID: return UUID.fromString(v.toString());
            case DATE:
                return v instanceof java.util.Date ? LocalDate.ofEpochDay(Math.floorDiv(((java.util.Date) v).getTime(), 86_400_000L))
                        : LocalDate.ofEpochDay(((Number) v).longValue());
            case TIMESTAMP: {
                if (v instanceof java.util.Date) {
                    return LocalDateTime.ofInstant(((java.util.Date) v).toInstant(), ZoneOffset.UTC);
                }
                long x = ((Number) v).longValue();
                long per = n.equals("io.debezium.time.Timestamp") ? 1_000L : n.equals("io.debezium.time.NanoTimestamp") ? 1_000_000_000L : 1_000_000L;
                return LocalDateTime.ofEpochSecond(Math.floorDiv(x, per), (int) (Math.floorMod(x, per) * (1_000_000_000L / per)), ZoneOffset.UTC);
            }
            case TIMESTAMP_TZ: return OffsetDateTime.parse(v.toString()).toInstant();
            case TIME: {
                if (v instanceof java.util.Date) {
                    return LocalTime.ofNanoOfDay(((java.util.Date) v).getTime() * 1_000_000L);
                }
                long x = ((Number) v).longValue();
                return LocalTime.ofNanoOfDay(n.equals("io.debezium.time.Time") ? x * 1_000_000L : n.equals("io.debezium.time.NanoTime") ? x : x * 1000L);
            }
            case JSON:
                if (v instanceof String) {
                    try {
                        return JSON.readValue((String) v, Object.class);
                    } catch (JsonProcessingException e) {
                        throw new IllegalArgumentException("column '" + c.name() + "': invalid JSON text", e);
                    }
                }
                return v instanceof Struct ? structToMap((Struct) v) : v;
            case DECIMAL:
                if (v instanceof BigDecimal) {
                    return v;
                }
                if (v instanceof Struct) {
                    Struct d = (Struct) v;
                    return new BigDecimal(new BigInteger(bytes(d.get("value"))), d.getInt32("scale"));
                }
                return new BigDecimal(v.toString());
            case ARRAY: {
                List<Object> out = new ArrayList<>();
                for (Object e : (List<?>) v) {
                    out.add(fromConnect(c.elementType(), Column.of(c.name(), c.elementType()), s.valueSchema(), e));
                }
                return out;
            }
            default:
                return v;
        }
    }

    private static byte[] bytes(Object o) {
        if (o instanceof byte[]) {
            return (byte[]) o;
        }
        ByteBuffer b = ((ByteBuffer) o).duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static Map<String, Object> structToMap(Struct s) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (Field f : s.schema().fields()) {
            Object v = s.get(f);
            m.put(f.name(), v instanceof Struct ? structToMap((Struct) v) : v);
        }
        return m;
    }
}
