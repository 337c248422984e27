package dev.dbsync.postgres;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.ForeignKey;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Reads table structure from the PostgreSQL catalog. Names are always bound as parameters, never spliced
 * into SQL. Domains are resolved to their base types; array columns report their element type.
 */
final class PgCatalog {

    private static final String FIND_TABLE = "SELECT c.oid, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f')";

    private static final String COLUMNS = "SELECT a.attname, a.attnotnull, bt.typname,"
            + " CASE WHEN bt.typcategory = 'A' AND bt.typelem <> 0 THEN ebt.typname END,"
            + " CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,"
            + " format_type(bt.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END)"
            + " FROM pg_attribute a"
            + " JOIN pg_type t ON t.oid = a.atttypid"
            + " JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END"
            + " LEFT JOIN pg_type et ON et.oid = bt.typelem"
            + " LEFT JOIN pg_type ebt ON ebt.oid = CASE WHEN et.typtype = 'd' THEN et.typbasetype ELSE et.oid END"
            + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

    private static final String PRIMARY_KEY = "SELECT a.attname FROM pg_index i"
            + " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
            + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
            + " WHERE i.indrelid = ? AND i.indisprimary ORDER BY k.ord";

    private static final String FOREIGN_KEYS = "SELECT con.conname, a.attname, rn.nspname, rc.relname, ra.attname"
            + " FROM pg_constraint con"
            + " CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(att, ratt, ord)"
            + " JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.att"
            + " JOIN pg_class rc ON rc.oid = con.confrelid"
            + " JOIN pg_namespace rn ON rn.oid = rc.relnamespace"
            + " JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.ratt"
            + " WHERE con.conrelid = ? AND con.contype = 'f' ORDER BY con.conname, k.ord";

    private static final String LIST = "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
            + " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
            + " ORDER BY 1, 2";

    private PgCatalog() {
    }

    /** Tables of all user schemas, as {@code schema.table} (parts quoted when they contain a dot or quote). */
    static List<String> listTables(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(LIST); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(display(rs.getString(1)) + "." + display(rs.getString(2)));
            }
        }
        return out;
    }

    private static String display(String part) {
        return part.indexOf('.') >= 0 || part.indexOf('"') >= 0 ? PgName.quote(part) : part;
    }

    /**
     * The table's schema with the spec applied: the configured key replaces the primary key; cursor and
     * soft-delete columns must exist. The schema's name is the spec's table name.
     */
    static TableSchema describe(Connection c, PgName name, TableSpec spec) throws SQLException {
        long oid = oid(c, name, spec);
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(COLUMNS)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(PgTypes.column(rs.getString(1), rs.getBoolean(2), rs.getString(3), rs.getString(4),
                            rs.getInt(5), rs.getString(6)));
                }
            }
        }
        if (columns.isEmpty()) {
            throw new SyncException(ErrorType.EXTERNAL, "table '" + spec.table() + "' (" + name + ") has no columns");
        }
        List<String> names = new ArrayList<>();
        columns.forEach(col -> names.add(col.name()));
        List<String> key = spec.keyColumns();
        if (key.isEmpty()) {
            key = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(PRIMARY_KEY)) {
                ps.setLong(1, oid);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        key.add(rs.getString(1));
                    }
                }
            }
            if (key.isEmpty()) {
                throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "' has no primary key; configure key columns"
                        + " for it (TableSpec.withKey(...), setting 'key' of the table) naming columns whose values are unique");
            }
        } else {
            requireColumns(spec, names, key, "key");
        }
        requireColumns(spec, names, spec.cursorColumns(), "cursor");
        if (spec.softDeleteColumn() != null) {
            requireColumns(spec, names, List.of(spec.softDeleteColumn()), "soft-delete");
        }
        List<Column> finalColumns = new ArrayList<>(columns.size());
        for (Column col : columns) {
            // key columns are never null in a keyset read, whatever the catalog says (views, configured keys)
            finalColumns.add(key.contains(col.name()) && col.nullable() ? col.withNullable(false) : col);
        }
        return new TableSchema(spec.table(), finalColumns, key, foreignKeys(c, oid));
    }

    /** The table's foreign keys; referenced tables named as {@link #listTables} names them. */
    private static List<ForeignKey> foreignKeys(Connection c, long oid) throws SQLException {
        Map<String, List<String[]>> parts = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(FOREIGN_KEYS)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    parts.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new String[] {
                            rs.getString(2), display(rs.getString(3)) + "." + display(rs.getString(4)), rs.getString(5)});
                }
            }
        }
        List<ForeignKey> out = new ArrayList<>();
        for (Map.Entry<String, List<String[]>> e : parts.entrySet()) {
            List<String> cols = new ArrayList<>();
            List<String> refs = new ArrayList<>();
            for (String[] p : e.getValue()) {
                cols.add(p[0]);
                refs.add(p[2]);
            }
            out.add(new ForeignKey(e.getKey(), cols, e.getValue().get(0)[1], refs));
        }
        return out;
    }

    private static void requireColumns(TableSpec spec, List<String> names, List<String> wanted, String what) {
        List<String> missing = new ArrayList<>();
        for (String w : wanted) {
            if (!names.contains(w)) {
                missing.add(w);
            }
        }
        if (!missing.isEmpty()) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': configured " + what + " column"
                    + (missing.size() > 1 ? "s " : " ") + missing + (missing.size() > 1 ? " do" : " does")
                    + " not exist; the table's columns are " + names);
        }
    }

    /** {@code pg_class.reltuples}, empty when the table was never analyzed (reltuples = -1) or is missing. */
    static OptionalLong estimateRows(Connection c, PgName name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(FIND_TABLE)) {
            ps.setString(1, name.schema());
            ps.setString(2, name.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return OptionalLong.empty();
                }
                double tuples = rs.getDouble(2);
                return tuples < 0 ? OptionalLong.empty() : OptionalLong.of((long) tuples);
            }
        }
    }

    private static long oid(Connection c, PgName name, TableSpec spec) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(FIND_TABLE)) {
            ps.setString(1, name.schema());
            ps.setString(2, name.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return rs.getLong(1);
                }
            }
        }
        throw new SyncException(ErrorType.EXTERNAL, "table '" + spec.table() + "' does not exist: no table, view or"
                + " materialized view named " + name.table() + " in schema " + name.schema()
                + " (names are case-sensitive and taken as written)");
    }
}
