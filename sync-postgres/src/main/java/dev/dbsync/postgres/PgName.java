package dev.dbsync.postgres;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * A schema-qualified PostgreSQL table name. Parsed from the dbsync spelling {@code schema.table} (or just
 * {@code table}, then in the default schema); parts may be double-quoted to contain dots or quotes
 * ({@code "my.schema"."odd""name"}). Unquoted parts are taken as written (no case folding), because dbsync
 * names tables the way the catalog spells them. Rendered into SQL only through {@link #sql()}, which
 * quotes both parts, so no name can inject SQL.
 */
record PgName(String schema, String table) {

    PgName {
        requireNonNull(schema, "schema is null");
        requireNonNull(table, "table is null");
    }

    static PgName parse(String name, String defaultSchema) {
        List<String> parts = new ArrayList<>(2);
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < name.length() && name.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"' && cur.length() == 0) {
                quoted = true;
            } else if (ch == '.') {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("table name " + name + " has an unterminated quote");
        }
        parts.add(cur.toString());
        for (String p : parts) {
            if (p.isEmpty()) {
                throw new IllegalArgumentException("table name '" + name + "' has an empty part; expected schema.table or table");
            }
        }
        if (parts.size() == 1) {
            return new PgName(defaultSchema, parts.get(0));
        }
        if (parts.size() == 2) {
            return new PgName(parts.get(0), parts.get(1));
        }
        throw new IllegalArgumentException("table name '" + name + "' has " + parts.size()
                + " parts; expected schema.table or table (quote a part that contains a dot)");
    }

    /** The quoted SQL form {@code "schema"."table"}. */
    String sql() {
        return quote(schema) + "." + quote(table);
    }

    /** Quotes an identifier; embedded double quotes are doubled. NUL cannot occur in PostgreSQL names. */
    static String quote(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains a NUL character: " + identifier.replace('\0', '?'));
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /**
     * A standard SQL string literal. Connections of this module run with
     * {@code standard_conforming_strings = on}, so backslashes are ordinary characters and doubling the
     * single quotes is the complete escaping.
     */
    static String literal(String text) {
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("text contains a NUL character, which PostgreSQL cannot store");
        }
        return '\'' + text.replace("'", "''") + '\'';
    }

    @Override
    public String toString() {
        return schema + "." + table;
    }
}
