package dev.dbsync.neo4j;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ForeignKey;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a table's rows as nodes of its label, keyed by the primary key (a uniqueness constraint on the key
 * properties is created on open), and each foreign key as a relationship from the row's node to the referenced
 * row's node.
 *
 * <p>Upsert, per row: {@code MERGE} the node by key; if its stored version is not newer, replace its properties
 * with the row's; for each foreign key, delete the relationships of that type to any other node and, when the one
 * to the referenced node is missing, {@code MERGE} it, and the referenced node itself (a placeholder holding only
 * its key until that row is synced). Nothing is ever {@code CREATE}d, so a replayed batch changes nothing. A
 * relationship carries the version of the change that made it.
 *
 * <p>Delete: {@code DETACH DELETE} of the node unless it holds a newer version.
 */
final class NodeWriter extends GraphWriter {

    private static final Logger LOG = LoggerFactory.getLogger(NodeWriter.class);

    /** One foreign key written as a relationship. */
    private record Link(String type, String label, int[] columns, List<String> referenced) {
    }

    private final String label;
    private final List<String> keys;
    private final List<Link> links = new ArrayList<>();
    private final String upsert;
    private final String delete;

    NodeWriter(Neo4jSink sink, TableSchema schema) {
        super(sink, schema);
        GraphMapping mapping = sink.mapping();
        this.label = mapping.label(schema.name());
        this.keys = schema.primaryKey();
        sink.schemaStatement("create the key constraint of label " + label + " for '" + schema.name() + "'",
                uniqueness(label, keys));
        sink.describe(label, schema);
        if (sink.relationships()) {
            Map<String, String> seen = new HashMap<>();
            for (ForeignKey fk : schema.foreignKeys()) {
                if (mapping.isJoinTable(fk.referencedTable())) {
                    LOG.warn("table '{}': foreign key {} references join table '{}', which is written as relationships; "
                            + "no relationship for it", schema.name(), fk.name(), fk.referencedTable());
                    continue;
                }
                Link link = new Link(mapping.foreignKeyType(schema.name(), fk), mapping.label(fk.referencedTable()),
                        fk.columns().stream().mapToInt(schema::indexOf).toArray(), fk.referencedColumns());
                String other = seen.put(link.type + "\u0000" + link.label, fk.name());
                if (other != null) {
                    throw new ConfigException(Neo4jSettings.RELATIONSHIP_TYPES, "table '" + schema.name() + "': foreign keys "
                            + other + " and " + fk.name() + " would both become " + link.type + " relationships to "
                            + link.label + "; give one of them another type");
                }
                links.add(link);
                try {
                    // MERGE of referenced nodes needs an index; the referenced table's own writer makes the same one
                    sink.schemaStatement("create the key constraint of label " + link.label, uniqueness(link.label, link.referenced));
                } catch (RuntimeException e) {
                    LOG.warn("table '{}': no uniqueness constraint on {}{} ({}); relationships to it are written without one",
                            schema.name(), link.label, link.referenced, e.getMessage());
                }
            }
        }
        this.upsert = buildUpsert();
        this.delete = "UNWIND $rows AS row\n"
                + "OPTIONAL MATCH (n:" + Cypher.id(label) + " " + propertyMap(keys, "row.k") + ")\n"
                + "WITH row, n, n IS NOT NULL AND NOT " + fresh("n") + " AS stale\n"
                + "FOREACH (x IN CASE WHEN n IS NOT NULL AND NOT stale THEN [n] ELSE [] END | DETACH DELETE x)\n"
                + "RETURN sum(CASE WHEN stale THEN 1 ELSE 0 END)";
    }

    static String uniqueness(String label, List<String> properties) {
        StringBuilder props = new StringBuilder();
        for (String p : properties) {
            props.append(props.length() == 0 ? "" : ", ").append("n.").append(Cypher.id(p));
        }
        List<String> parts = new ArrayList<>(List.of(label));
        parts.addAll(properties);
        return "CREATE CONSTRAINT " + Cypher.id(Cypher.schemaName("key", parts.toArray(String[]::new))) + " IF NOT EXISTS FOR (n:"
                + Cypher.id(label) + ") REQUIRE (" + props + ") IS UNIQUE";
    }

    private String buildUpsert() {
        StringBuilder q = new StringBuilder("UNWIND $rows AS row\n")
                .append("MERGE (n:").append(Cypher.id(label)).append(' ').append(propertyMap(keys, "row.k")).append(")\n")
                .append("WITH n, row WHERE ").append(fresh("n")).append('\n')
                .append("SET n = row.p\n");
        for (int i = 0; i < links.size(); i++) {
            Link l = links.get(i);
            String f = "row.f[" + i + "]";
            String type = Cypher.id(l.type);
            String target = Cypher.id(l.label);
            // only a reference that changed touches relationships: the unchanged one (the common case of an
            // update) is read, not locked or written; read by expanding from the node itself, so the plan never
            // depends on how many nodes the referenced label had when it was made
            q.append("WITH n, row, [(n)-[r:").append(type).append("]->(o:").append(target).append(") | [r, coalesce(NOT ")
                    .append(differs("o", l.referenced, f)).append(", false)]] AS current\n")
                    .append("WITH n, row, [x IN current WHERE ").append(f).append(" IS NULL OR NOT x[1] | x[0]] AS stale, ")
                    .append(f).append(" IS NOT NULL AND none(x IN current WHERE x[1]) AS missing\n")
                    .append("FOREACH (r IN stale | DELETE r)\n")
                    .append("FOREACH (f IN CASE WHEN missing THEN [").append(f).append("] ELSE [] END |\n")
                    .append("  MERGE (o:").append(target).append(' ').append(propertyMap(l.referenced, "f"))
                    .append(") ON CREATE SET o.").append(placeholder).append(" = true\n")
                    .append("  MERGE (n)-[r:").append(type).append("]->(o) SET r.").append(version).append(" = row.vv)\n");
        }
        return q.append("RETURN count(*)").toString();
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
    String addUpsertFields(Map<String, Object> row, ChangeEvent e) {
        if (links.isEmpty()) {
            return null;
        }
        List<Object> f = new ArrayList<>(links.size());
        for (Link l : links) {
            try {
                f.add(reference(e, l.columns));
            } catch (GraphValues.BadValue bad) {
                return bad.getMessage();
            }
        }
        row.put("f", f);
        return null;
    }

    /**
     * Empties the label. Nodes that rows of other tables still connect to (their foreign keys, join tables) stay as
     * placeholders holding only their key, so those relationships survive the snapshot that refills the label;
     * every other node is detached and deleted. Runs in bounded transactions.
     */
    @Override
    public void truncate() {
        String l = Cypher.id(label);
        // relationships this table owns are its foreign keys' (outgoing); any other relationship to a node of
        // another label belongs to another table: a foreign key pointing here or a join-table row either way
        List<String> own = links.stream().map(Link::type).toList();
        repeatUntilDone("truncate '" + schema.name() + "'", "MATCH (n:" + l + ") WHERE NOT EXISTS { MATCH (n)-[r]-(m) WHERE NOT m:"
                + l + " AND NOT (type(r) IN $own AND startNode(r) = n) }\nWITH n LIMIT $limit DETACH DELETE n RETURN count(*)", Map.of("own", own));
        StringBuilder keep = new StringBuilder("{");
        for (String k : keys) {
            keep.append(Cypher.id(k)).append(": n.").append(Cypher.id(k)).append(", ");
        }
        keep.append(placeholder).append(": true}");
        StringBuilder types = new StringBuilder();
        for (Link link : links) {
            types.append(types.length() == 0 ? "" : "|").append(Cypher.id(link.type));
        }
        repeatUntilDone("truncate '" + schema.name() + "'", "MATCH (n:" + l + ") WHERE n." + placeholder + " IS NULL\n"
                + "WITH n LIMIT $limit\n"
                + (links.isEmpty() ? "" : "FOREACH (r IN [(n)-[r:" + types + "]->() | r] | DELETE r)\n")
                + "SET n = " + keep + "\nRETURN count(*)", Map.of());
    }
}
