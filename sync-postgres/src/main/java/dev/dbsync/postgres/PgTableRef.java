package dev.dbsync.postgres;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A table of the source database resolved from a {@link dev.dbsync.spi.TableSpec} name: its OID (which
 * logical replication messages carry), schema and name.
 *
 * @param spec      the name as configured
 * @param oid       the table's OID
 * @param namespace the schema name, exactly as stored in the catalog
 * @param name      the table name, exactly as stored in the catalog
 */
record PgTableRef(String spec, long oid, String namespace, String name) {

    PgTableRef {
        requireNonNull(spec, "spec is null");
        requireNonNull(namespace, "namespace is null");
        requireNonNull(name, "name is null");
    }

    /** {@code "schema"."name"}, safe to put into SQL. */
    String quoted() {
        return PgName.quote(namespace) + "." + PgName.quote(name);
    }

    String display() {
        return spec;
    }

    /**
     * Finds the table named {@code spec} ({@code schema.table} or {@code table} in {@code defaultSchema}, parsed
     * by {@link PgName}: taken as written, parts may be double-quoted).
     */
    static PgTableRef resolve(Connection c, String spec, String defaultSchema) throws SQLException {
        PgName name;
        try {
            name = PgName.parse(spec, defaultSchema);
        } catch (IllegalArgumentException e) {
            throw new SyncException(ErrorType.CONFIG, e.getMessage());
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT c.oid::bigint, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, name.schema());
            ps.setString(2, name.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    String kind = rs.getString(2);
                    if (!kind.equals("r") && !kind.equals("p")) {
                        throw new SyncException(ErrorType.CONFIG, "table '" + spec + "' (" + name + ") is not a table;"
                                + " logical replication captures changes of tables only");
                    }
                    return new PgTableRef(spec, rs.getLong(1), name.schema(), name.table());
                }
            }
        }
        throw new SyncException(ErrorType.EXTERNAL, "table '" + spec + "' does not exist: no table named " + name.table()
                + " in schema " + name.schema() + " (names are case-sensitive and taken as written)");
    }
}
