package dev.dbsync.kafka;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeKind;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.TableSchema;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Writes the change events of one table as Debezium change events in Kafka Connect's JSON form: the key is the
 * primary key as a struct, the value {@code {before, after, source, op, ts_ms}}, each wrapped as
 * {@code {"schema": …, "payload": …}} when schemas are on (what Connect's {@code JsonConverter} with
 * {@code schemas.enable=true} reads), or the bare payload when off. Not thread-safe: one per writer.
 */
final class Envelope {

    static final String CONNECTOR = "dbsync";
    static final String VERSION = "0.1.0";

    private final TableSchema schema;
    private final String serverName;
    private final boolean withSchemas;
    private final FieldCodec[] codecs;
    private final int[] keyIndexes;
    private final String keySchema;
    private final String valueSchema;
    private final ObjectMapper json;
    private final ByteArrayBuilder buffer = new ByteArrayBuilder(1024);

    Envelope(TableSchema schema, String topic, String serverName, DecimalHandling decimals, boolean withSchemas, ObjectMapper json) {
        this.schema = schema;
        this.serverName = serverName;
        this.withSchemas = withSchemas;
        this.json = json;
        List<Column> columns = schema.columns();
        this.codecs = new FieldCodec[columns.size()];
        for (int i = 0; i < codecs.length; i++) {
            codecs[i] = FieldCodec.forColumn(columns.get(i), decimals, json);
        }
        this.keyIndexes = schema.keyIndexes();
        try {
            this.keySchema = keySchema(topic);
            this.valueSchema = valueSchema(topic);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TableSchema schema() {
        return schema;
    }

    private String keySchema(String topic) throws IOException {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = json.getFactory().createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("type", "struct");
            g.writeArrayFieldStart("fields");
            for (int k : keyIndexes) {
                codecs[k].writeSchema(g, codecs[k].column.name(), false);
            }
            g.writeEndArray();
            g.writeBooleanField("optional", false);
            g.writeStringField("name", topic + ".Key");
            g.writeEndObject();
        }
        return w.toString();
    }

    private String valueSchema(String topic) throws IOException {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = json.getFactory().createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("type", "struct");
            g.writeArrayFieldStart("fields");
            for (String side : new String[] {"before", "after"}) {
                g.writeStartObject();
                g.writeStringField("type", "struct");
                g.writeArrayFieldStart("fields");
                for (FieldCodec c : codecs) {
                    c.writeSchema(g, c.column.name(), c.column.nullable() || !isKey(c));
                }
                g.writeEndArray();
                g.writeBooleanField("optional", true);
                g.writeStringField("name", topic + ".Value");
                g.writeStringField("field", side);
                g.writeEndObject();
            }
            g.writeRawValue("{\"type\":\"struct\",\"fields\":["
                    + "{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
                    + "{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
                    + "{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
                    + "{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
                    + "{\"type\":\"string\",\"optional\":true,\"field\":\"snapshot\"},"
                    + "{\"type\":\"string\",\"optional\":true,\"field\":\"db\"},"
                    + "{\"type\":\"string\",\"optional\":true,\"field\":\"schema\"},"
                    + "{\"type\":\"string\",\"optional\":true,\"field\":\"table\"},"
                    + "{\"type\":\"int64\",\"optional\":true,\"field\":\"dbsync_version\"},"
                    + "{\"type\":\"string\",\"optional\":true,\"field\":\"dbsync_position\"}"
                    + "],\"optional\":false,\"name\":\"dev.dbsync.Source\",\"field\":\"source\"}");
            g.writeRawValue("{\"type\":\"string\",\"optional\":false,\"field\":\"op\"}");
            g.writeRawValue("{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}");
            g.writeEndArray();
            g.writeBooleanField("optional", false);
            g.writeStringField("name", topic + ".Envelope");
            g.writeNumberField("version", 1);
            g.writeEndObject();
        }
        return w.toString();
    }

    private boolean isKey(FieldCodec c) {
        for (int k : keyIndexes) {
            if (codecs[k] == c) {
                return true;
            }
        }
        return false;
    }

    /** Debezium's op code of an event: r, c, u or d (an UPSERT of unknown origin is an update). */
    static String op(ChangeEvent e) {
        if (e.operation() == Operation.DELETE) {
            return "d";
        }
        if (e.operation() == Operation.TRUNCATE) {
            return "t";
        }
        ChangeKind k = e.kind();
        return k == ChangeKind.READ ? "r" : k == ChangeKind.INSERT ? "c" : "u";
    }

    /** The record key: the primary key struct. */
    byte[] key(ChangeEvent e) {
        buffer.reset();
        try (JsonGenerator g = json.getFactory().createGenerator(buffer)) {
            if (withSchemas) {
                g.writeStartObject();
                g.writeFieldName("schema");
                g.writeRawValue(keySchema);
                g.writeFieldName("payload");
            }
            g.writeStartObject();
            List<Object> key = e.key();
            for (int i = 0; i < keyIndexes.length; i++) {
                FieldCodec c = codecs[keyIndexes[i]];
                g.writeFieldName(c.column.name());
                writeValue(g, c, key.get(i));
            }
            g.writeEndObject();
            if (withSchemas) {
                g.writeEndObject();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return buffer.toByteArray();
    }

    /**
     * The record value of an UPSERT or DELETE. Throws IllegalArgumentException naming the column when a value
     * cannot be written (e.g. more decimal places than the column declares).
     */
    byte[] value(ChangeEvent e, long nowMs) {
        String op = op(e);
        buffer.reset();
        try (JsonGenerator g = json.getFactory().createGenerator(buffer)) {
            if (withSchemas) {
                g.writeStartObject();
                g.writeFieldName("schema");
                g.writeRawValue(valueSchema);
                g.writeFieldName("payload");
            }
            g.writeStartObject();
            g.writeFieldName("before");
            if (e.operation() == Operation.DELETE) {
                if (e.values().isEmpty()) {
                    writeKeyOnlyRow(g, e.key());
                } else {
                    writeRow(g, e.values());
                }
            } else if (!e.before().isEmpty()) {
                writeRow(g, e.before());
            } else {
                g.writeNull();
            }
            g.writeFieldName("after");
            if (e.operation() == Operation.DELETE) {
                g.writeNull();
            } else {
                writeRow(g, e.values());
            }
            writeSource(g, e.table(), op.equals("r") ? "true" : "false", e.version(), e.position().encode(), nowMs);
            g.writeStringField("op", op);
            g.writeNumberField("ts_ms", nowMs);
            g.writeEndObject();
            if (withSchemas) {
                g.writeEndObject();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return buffer.toByteArray();
    }

    /** The value of a truncate event ({@code op = t}, no key, no rows). */
    byte[] truncateValue(String table, long nowMs) {
        buffer.reset();
        try (JsonGenerator g = json.getFactory().createGenerator(buffer)) {
            if (withSchemas) {
                g.writeStartObject();
                g.writeFieldName("schema");
                g.writeRawValue(valueSchema);
                g.writeFieldName("payload");
            }
            g.writeStartObject();
            g.writeNullField("before");
            g.writeNullField("after");
            writeSource(g, table, "false", 0, null, nowMs);
            g.writeStringField("op", "t");
            g.writeNumberField("ts_ms", nowMs);
            g.writeEndObject();
            if (withSchemas) {
                g.writeEndObject();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return buffer.toByteArray();
    }

    private void writeSource(JsonGenerator g, String table, String snapshot, long version, String position, long nowMs)
            throws IOException {
        g.writeObjectFieldStart("source");
        g.writeStringField("version", VERSION);
        g.writeStringField("connector", CONNECTOR);
        g.writeStringField("name", serverName);
        g.writeNumberField("ts_ms", nowMs);
        g.writeStringField("snapshot", snapshot);
        g.writeNullField("db");
        int dot = lastDot(table);
        if (dot < 0) {
            g.writeNullField("schema");
            g.writeStringField("table", table);
        } else {
            g.writeStringField("schema", table.substring(0, dot));
            g.writeStringField("table", table.substring(dot + 1));
        }
        g.writeNumberField("dbsync_version", version);
        if (position == null) {
            g.writeNullField("dbsync_position");
        } else {
            g.writeStringField("dbsync_position", position);
        }
        g.writeEndObject();
    }

    /** The last dot outside double quotes. */
    static int lastDot(String name) {
        boolean quoted = false;
        int dot = -1;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '.' && !quoted) {
                dot = i;
            }
        }
        return dot;
    }

    private void writeRow(JsonGenerator g, List<Object> values) throws IOException {
        g.writeStartObject();
        for (int i = 0; i < codecs.length; i++) {
            g.writeFieldName(codecs[i].column.name());
            writeValue(g, codecs[i], values.get(i));
        }
        g.writeEndObject();
    }

    /** Debezium's delete under the default replica identity: the key columns set, the others null. */
    private void writeKeyOnlyRow(JsonGenerator g, List<Object> key) throws IOException {
        g.writeStartObject();
        for (int i = 0; i < codecs.length; i++) {
            g.writeFieldName(codecs[i].column.name());
            int k = keyPosition(i);
            writeValue(g, codecs[i], k < 0 ? null : key.get(k));
        }
        g.writeEndObject();
    }

    private int keyPosition(int column) {
        for (int k = 0; k < keyIndexes.length; k++) {
            if (keyIndexes[k] == column) {
                return k;
            }
        }
        return -1;
    }

    private static void writeValue(JsonGenerator g, FieldCodec c, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
            return;
        }
        try {
            c.write(g, v);
        } catch (ClassCastException | ArithmeticException e) {
            throw new IllegalArgumentException("column '" + c.column.name() + "': cannot write " + v.getClass().getSimpleName()
                    + " value as " + c.column.type(), e);
        }
    }
}
