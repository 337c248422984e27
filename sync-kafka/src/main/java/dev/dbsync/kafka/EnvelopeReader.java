package dev.dbsync.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the Debezium change events of one topic back into dbsync change events, with the table schema taken
 * from the records' Connect schemas (exact for topics written by dbsync, mapped from Debezium's types for
 * topics written by Debezium). Immutable.
 */
final class EnvelopeReader {

    private final TableSchema schema;
    private final FieldCodec[] codecs;
    private final FieldCodec[] keyCodecs;

    private EnvelopeReader(TableSchema schema, FieldCodec[] codecs, FieldCodec[] keyCodecs) {
        this.schema = schema;
        this.codecs = codecs;
        this.keyCodecs = keyCodecs;
    }

    /**
     * The reader for a record's key and value schemas ({@code {"schema":…,"payload":…}} documents).
     * @param keyOverride key columns configured instead of the record key's fields; empty = the record key's
     */
    static EnvelopeReader of(String table, JsonNode keyDoc, JsonNode valueDoc, List<String> keyOverride, ObjectMapper json) {
        JsonNode valueSchema = valueDoc.path("schema");
        JsonNode rowSchema = null;
        for (JsonNode f : valueSchema.path("fields")) {
            if (f.path("field").asText().equals("after") || (rowSchema == null && f.path("field").asText().equals("before"))) {
                rowSchema = f;
            }
        }
        if (rowSchema == null) {
            throw new IllegalArgumentException("table '" + table + "': the topic's records are not change events with a schema"
                    + " (no before/after fields); write them with schemas enabled");
        }
        List<String> key = new ArrayList<>(keyOverride);
        if (key.isEmpty()) {
            for (JsonNode f : keyDoc.path("schema").path("fields")) {
                key.add(f.path("field").asText());
            }
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("table '" + table + "': the topic's record keys have no fields; configure key columns");
        }
        List<FieldCodec> list = new ArrayList<>();
        List<Column> columns = new ArrayList<>();
        for (JsonNode f : rowSchema.path("fields")) {
            boolean isKey = key.contains(f.path("field").asText());
            FieldCodec c = FieldCodec.forField(f, isKey, json);
            list.add(c);
            columns.add(c.column);
        }
        TableSchema schema = new TableSchema(table, columns, key);
        FieldCodec[] codecs = list.toArray(new FieldCodec[0]);
        int[] keyIdx = schema.keyIndexes();
        FieldCodec[] keyCodecs = new FieldCodec[keyIdx.length];
        for (int i = 0; i < keyIdx.length; i++) {
            keyCodecs[i] = codecs[keyIdx[i]];
        }
        return new EnvelopeReader(schema, codecs, keyCodecs);
    }

    TableSchema schema() {
        return schema;
    }

    /**
     * The dbsync event of a record's value payload (the {@code payload} of a schema'd document or the bare
     * payload), or null for what is no row change (a truncate, which the source skips).
     * @param offsetVersion the version to use when the record carries none (the record's offset + 1: a key stays
     *                      in one partition, so its offsets grow in the order its changes were written)
     */
    ChangeEvent decode(JsonNode value, Position position, long offsetVersion) {
        JsonNode payload = value.has("payload") && value.has("schema") ? value.get("payload") : value;
        String op = payload.path("op").asText("");
        JsonNode source = payload.path("source");
        long version = source.path("dbsync_version").asLong(0);
        if (version <= 0) {
            version = source.path("lsn").asLong(0);
        }
        if (version <= 0) {
            version = offsetVersion;
        }
        String table = schema.name();
        switch (op) {
            case "r":
            case "c":
            case "u": {
                JsonNode after = payload.path("after");
                Object[] values = row(after);
                Object[] key = keyOf(values);
                if (op.equals("r")) {
                    return ChangeEvent.read(table, key, values, version, position);
                }
                if (op.equals("c")) {
                    return ChangeEvent.insert(table, key, values, version, position);
                }
                JsonNode before = payload.path("before");
                return ChangeEvent.update(table, key, values, before.isObject() ? row(before) : null, version, position);
            }
            case "d": {
                JsonNode before = payload.path("before");
                Object[] values = row(before);
                Object[] key = keyOf(values);
                boolean full = true;
                for (Object v : values) {
                    full &= v != null;
                }
                // a before image of the key only (the source's default replica identity) is no last known row
                return ChangeEvent.delete(table, key, full || values.length == key.length ? values : null, version, position);
            }
            default:
                return null;
        }
    }

    private Object[] row(JsonNode node) {
        Object[] values = new Object[codecs.length];
        for (int i = 0; i < codecs.length; i++) {
            values[i] = codecs[i].readAs(node.get(codecs[i].column.name()));
        }
        return values;
    }

    private Object[] keyOf(Object[] values) {
        int[] idx = schema.keyIndexes();
        Object[] key = new Object[idx.length];
        for (int i = 0; i < idx.length; i++) {
            key[i] = values[idx[i]];
            if (key[i] == null) {
                throw new IllegalArgumentException("table '" + schema.name() + "': an event has no value for key column '"
                        + keyCodecs[i].column.name() + "'");
            }
        }
        return key;
    }
}
