package dev.dbsync.neo4j;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ForeignKey;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a join table (e.g. {@code order_items} between orders and products) as relationships: each row is one
 * relationship from the node its first foreign key references to the node its second references, holding the
 * row's columns as properties and identified by the row's key (a relationship uniqueness constraint on it is
 * created on open). When a row's foreign key changes, its relationship moves; end nodes not synced yet are
 * {@code MERGE}d as placeholders. A deleted row deletes its relationship.
 */
final class RelationshipWriter extends GraphWriter {

    private static final Logger LOG = LoggerFactory.getLogger(RelationshipWriter.class);

    private final String type;
    private final String startLabel;
    private final String endLabel;
    private final int[] startColumns;
    private final int[] endColumns;
    private final List<String> startKeys;
    private final List<String> endKeys;
    private final String upsert;
    private final String delete;

    RelationshipWriter(Neo4jSink sink, TableSchema schema) {
        super(sink, schema);
        GraphMapping mapping = sink.mapping();
        if (schema.foreignKeys().size() != 2) {
            throw new ConfigException(Neo4jSettings.JOIN_TABLES, "join table '" + schema.name() + "' has "
                    + schema.foreignKeys().size() + " foreign keys; a join table needs exactly two (one for each end)");
        }
        // the relationship starts at the foreign key whose columns come first in the table
        List<ForeignKey> fks = new ArrayList<>(schema.foreignKeys());
        fks.sort(Comparator.comparingInt(fk -> fk.columns().stream().mapToInt(schema::indexOf).min().orElse(0)));
        ForeignKey start = fks.get(0);
        ForeignKey end = fks.get(1);
        this.type = mapping.joinType(schema.name());
        this.startLabel = mapping.label(start.referencedTable());
        this.endLabel = mapping.label(end.referencedTable());
        this.startColumns = start.columns().stream().mapToInt(schema::indexOf).toArray();
        this.endColumns = end.columns().stream().mapToInt(schema::indexOf).toArray();
        this.startKeys = start.referencedColumns();
        this.endKeys = end.referencedColumns();
        List<String> keys = schema.primaryKey();
        String t = Cypher.id(type);
        StringBuilder props = new StringBuilder();
        for (String k : keys) {
            props.append(props.length() == 0 ? "" : ", ").append("r.").append(Cypher.id(k));
        }
        List<String> parts = new ArrayList<>(List.of(type));
        parts.addAll(keys);
        String name = Cypher.schemaName("rkey", parts.toArray(String[]::new));
        try {
            sink.schemaStatement("create the key constraint of relationship type " + type + " for '" + schema.name() + "'",
                    "CREATE CONSTRAINT " + Cypher.id(name) + " IF NOT EXISTS FOR ()-[r:" + t + "]-() REQUIRE (" + props + ") IS UNIQUE");
        } catch (RuntimeException e) {
            // servers before 5.7 have no relationship uniqueness constraints; an index keeps lookups by key fast
            LOG.warn("join table '{}': no relationship uniqueness constraint ({}); using an index", schema.name(), e.getMessage());
            sink.schemaStatement("create the key index of relationship type " + type, "CREATE INDEX " + Cypher.id(name)
                    + " IF NOT EXISTS FOR ()-[r:" + t + "]-() ON (" + props + ")");
        }
        for (String[] end2 : new String[][] {{startLabel}, {endLabel}}) {
            List<String> refKeys = end2[0].equals(startLabel) ? startKeys : endKeys;
            try {
                sink.schemaStatement("create the key constraint of label " + end2[0], NodeWriter.uniqueness(end2[0], refKeys));
            } catch (RuntimeException e) {
                LOG.warn("join table '{}': no uniqueness constraint on {}{} ({})", schema.name(), end2[0], refKeys, e.getMessage());
            }
        }
        String a = Cypher.id(startLabel);
        String b = Cypher.id(endLabel);
        String key = propertyMap(keys, "row.k");
        StringBuilder keyProps = new StringBuilder();
        for (String k : keys) {
            keyProps.append(keyProps.length() == 0 ? "" : ", ").append(Cypher.id(k));
        }
        // the hint pins the lookup by key to the key's index whatever the statistics say when the plan is made
        String hint = " USING INDEX old:" + t + "(" + keyProps + ")";
        // an existing relationship between the same ends is updated in place; only a new or moved one is MERGEd
        // with its ends (which locks them)
        this.upsert = "UNWIND $rows AS row\n"
                + "OPTIONAL MATCH ()-[old:" + t + " " + key + "]->()" + hint + "\n"
                + "WITH row, old WHERE old IS NULL OR " + fresh("old") + "\n"
                + "WITH row, old, coalesce(old IS NOT NULL AND startNode(old):" + a + " AND endNode(old):" + b
                + " AND NOT " + differs("startNode(old)", startKeys, "row.a") + " AND NOT " + differs("endNode(old)", endKeys, "row.b")
                + ", false) AS same\n"
                + "FOREACH (x IN CASE WHEN same THEN [old] ELSE [] END | SET x = row.p)\n"
                + "FOREACH (x IN CASE WHEN old IS NOT NULL AND NOT same THEN [old] ELSE [] END | DELETE x)\n"
                + "FOREACH (_ IN CASE WHEN same THEN [] ELSE [1] END |\n"
                + "  MERGE (a:" + a + " " + propertyMap(startKeys, "row.a") + ") ON CREATE SET a." + placeholder + " = true\n"
                + "  MERGE (b:" + b + " " + propertyMap(endKeys, "row.b") + ") ON CREATE SET b." + placeholder + " = true\n"
                + "  MERGE (a)-[r:" + t + " " + key + "]->(b) SET r = row.p)\n"
                + "RETURN count(*)";
        this.delete = "UNWIND $rows AS row\n"
                + "OPTIONAL MATCH ()-[old:" + t + " " + key + "]->()" + hint + "\n"
                + "WITH row, old, old IS NOT NULL AND NOT " + fresh("old") + " AS stale\n"
                + "FOREACH (x IN CASE WHEN old IS NOT NULL AND NOT stale THEN [old] ELSE [] END | DELETE x)\n"
                + "RETURN sum(CASE WHEN stale THEN 1 ELSE 0 END)";
    }

    @Override
    String upsertCypher() {
        return upsert;
    }

    @Override
    String deleteCypher() {
        return delete;
    }

    @Override
    boolean deleteRefused() {
        return true;
    }

    @Override
    String addUpsertFields(Map<String, Object> row, ChangeEvent e) {
        try {
            List<Object> a = reference(e, startColumns);
            List<Object> b = reference(e, endColumns);
            if (a == null || b == null) {
                return "a join-table row needs both ends, but a foreign key column is null";
            }
            row.put("a", a);
            row.put("b", b);
            return null;
        } catch (GraphValues.BadValue bad) {
            return bad.getMessage();
        }
    }

    /** Deletes every relationship of the type, in bounded transactions; end nodes stay. */
    @Override
    public void truncate() {
        repeatUntilDone("truncate join table '" + schema.name() + "'",
                "MATCH ()-[r:" + Cypher.id(type) + "]->() WITH r LIMIT $limit DELETE r RETURN count(*)", Map.of());
    }
}
