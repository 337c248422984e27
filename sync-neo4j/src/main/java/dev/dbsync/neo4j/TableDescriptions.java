package dev.dbsync.neo4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.List;

/**
 * The description of a table the sink keeps beside its nodes, {@code (:DbsyncTable {label, table, schema})}: the
 * columns in order with their logical types and the key, as JSON. A graph has no table schema of its own; with
 * this, the source reads a label the sink wrote with exactly the columns and types that went in (decimals,
 * UUIDs and JSON are stored as strings and come back as what they were), and an empty label still has columns.
 */
final class TableDescriptions {

    static final String LABEL = "DbsyncTable";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TableDescriptions() {
    }

    static String constraint() {
        return "CREATE CONSTRAINT dbsync_table_label IF NOT EXISTS FOR (t:DbsyncTable) REQUIRE t.label IS UNIQUE";
    }

    static String upsert() {
        return "MERGE (t:DbsyncTable {label: $label}) SET t.table = $table, t.schema = $schema, t.updated_at = datetime.realtime()";
    }

    static String toJson(TableSchema s) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode cols = root.putArray("columns");
        for (Column c : s.columns()) {
            ObjectNode o = cols.addObject();
            o.put("name", c.name()).put("type", c.type().name()).put("nullable", c.nullable())
                    .put("precision", c.precision()).put("scale", c.scale());
            if (c.elementType() != null) {
                o.put("elementType", c.elementType().name());
            }
            if (c.sourceType() != null) {
                o.put("sourceType", c.sourceType());
            }
        }
        ArrayNode key = root.putArray("key");
        s.primaryKey().forEach(key::add);
        return root.toString();
    }

    /** The schema stored for {@code label}, named {@code label}. */
    static TableSchema fromJson(String label, String json) {
        try {
            JsonNode root = JSON.readTree(json);
            List<Column> cols = new ArrayList<>();
            for (JsonNode o : root.get("columns")) {
                cols.add(new Column(o.get("name").asText(), LogicalType.valueOf(o.get("type").asText()), o.get("nullable").asBoolean(),
                        o.get("precision").asInt(), o.get("scale").asInt(),
                        o.hasNonNull("elementType") ? LogicalType.valueOf(o.get("elementType").asText()) : null,
                        o.hasNonNull("sourceType") ? o.get("sourceType").asText() : null));
            }
            List<String> key = new ArrayList<>();
            root.get("key").forEach(k -> key.add(k.asText()));
            return new TableSchema(label, cols, key);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IllegalStateException("the description of label " + label + " in (:DbsyncTable) is corrupt: " + e.getMessage(), e);
        }
    }
}
