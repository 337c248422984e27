package dev.dbsync.crate;

import static java.util.Objects.requireNonNull;

/**
 * A CrateDB table: schema and name, unquoted.
 *
 * @param schema the schema (CrateDB's default is {@code doc}); never null
 * @param name   the table name; never null
 */
record CrateTable(String schema, String name) {

    CrateTable {
        requireNonNull(schema, "schema is null");
        requireNonNull(name, "name is null");
    }

    /**
     * Resolves {@code schema.table} or {@code table} (then in {@code defaultSchema}). CrateDB table names cannot
     * contain dots, so the first dot separates the schema.
     */
    static CrateTable parse(String name, String defaultSchema) {
        int dot = name.indexOf('.');
        if (dot < 0) {
            return new CrateTable(defaultSchema, name);
        }
        return new CrateTable(name.substring(0, dot), name.substring(dot + 1));
    }

    @Override
    public String toString() {
        return schema + "." + name;
    }
}
