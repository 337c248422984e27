package dev.dbsync.neo4j;

import dev.dbsync.config.Config;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ForeignKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Which label a table gets, which type a foreign key's relationship gets, which tables are join tables. */
final class GraphMapping {

    private final Map<String, String> labels;
    private final Map<String, String> types;
    private final Map<String, String> joinTables;

    GraphMapping(Map<String, String> labels, Map<String, String> types, Map<String, String> joinTables) {
        this.labels = labels;
        this.types = types;
        this.joinTables = joinTables;
    }

    static GraphMapping of(Config config) {
        Map<String, String> labels = pairs(Neo4jSettings.LABELS, config.getList(Neo4jSettings.LABELS), true);
        Map<String, String> types = pairs(Neo4jSettings.RELATIONSHIP_TYPES, config.getList(Neo4jSettings.RELATIONSHIP_TYPES), true);
        for (String k : types.keySet()) {
            if (k.lastIndexOf('.') <= 0) {
                throw new ConfigException(Neo4jSettings.RELATIONSHIP_TYPES, "entry '" + k + "' must name table.column or "
                        + "table.constraint before '='");
            }
        }
        Map<String, String> joins = pairs(Neo4jSettings.JOIN_TABLES, config.getList(Neo4jSettings.JOIN_TABLES), false);
        return new GraphMapping(labels, types, joins);
    }

    private static Map<String, String> pairs(String setting, List<String> entries, boolean valueRequired) {
        Map<String, String> m = new HashMap<>();
        for (String e : entries) {
            int eq = e.indexOf('=');
            String k = (eq < 0 ? e : e.substring(0, eq)).trim();
            String v = eq < 0 ? null : e.substring(eq + 1).trim();
            if (k.isEmpty() || (v != null && v.isEmpty()) || (valueRequired && v == null)) {
                throw new ConfigException(setting, "entry '" + e + "' must be " + (valueRequired ? "name=value" : "table or table=TYPE"));
            }
            if (m.put(k, v) != null && valueRequired) {
                throw new ConfigException(setting, "'" + k + "' is given twice");
            }
        }
        return m;
    }

    /** The label of a table (a target name or a foreign key's referenced table). */
    String label(String table) {
        String l = lookup(labels, table);
        return l != null ? l : Cypher.unqualified(table);
    }

    boolean isJoinTable(String table) {
        return key(joinTables, table) != null;
    }

    /** The relationship type of a join table. */
    String joinType(String table) {
        String t = lookup(joinTables, table);
        return t != null ? t : Cypher.relationshipType(Cypher.unqualified(table));
    }

    /** The relationship type of a foreign key of {@code table}. */
    String foreignKeyType(String table, ForeignKey fk) {
        String bare = Cypher.unqualified(table);
        for (Map.Entry<String, String> e : types.entrySet()) {
            int dot = e.getKey().lastIndexOf('.');
            String t = e.getKey().substring(0, dot);
            String name = e.getKey().substring(dot + 1);
            boolean sameTable = t.equals(table) || Cypher.unqualified(t).equals(bare);
            boolean sameKey = name.equals(fk.name()) || (fk.columns().size() == 1 && name.equals(fk.columns().get(0)));
            if (sameTable && sameKey) {
                return e.getValue();
            }
        }
        String type = fk.columns().size() == 1 ? Cypher.typeFromColumn(fk.columns().get(0)) : "";
        return type.isEmpty() ? Cypher.relationshipType(Cypher.unqualified(fk.referencedTable())) : type;
    }

    private static String lookup(Map<String, String> m, String table) {
        String k = key(m, table);
        return k == null ? null : m.get(k);
    }

    /**
     * The configured name that means {@code table}: the same name, else the same name without schema on either
     * side (targets are named without their schema, foreign keys reference tables with it).
     */
    private static String key(Map<String, String> m, String table) {
        if (m.containsKey(table)) {
            return table;
        }
        String bare = Cypher.unqualified(table);
        if (m.containsKey(bare)) {
            return bare;
        }
        for (String k : m.keySet()) {
            if (Cypher.unqualified(k).equals(bare)) {
                return k;
            }
        }
        return null;
    }
}
