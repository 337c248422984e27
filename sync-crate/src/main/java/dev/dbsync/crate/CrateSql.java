package dev.dbsync.crate;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every SQL statement the CrateDB connector sends, built as text in CrateDB's dialect. Pure functions, so each
 * statement is unit-tested without a server.
 *
 * <p>Identifiers are always double-quoted with embedded quotes doubled, which is CrateDB's (and PostgreSQL's)
 * quoting rule: a quoted identifier is taken verbatim, so no name can end the identifier early and inject SQL.
 * Values always travel as bind parameters; the only literals written into SQL text are validated numbers and the
 * {@code number_of_replicas} setting, which is checked against a strict pattern first.
 */
final class CrateSql {

    /** Characters CrateDB refuses in schema and table names (besides the leading underscore). */
    private static final String FORBIDDEN_TABLE_CHARS = "\\/*?\"<>| \t\r\n,#.";

    private CrateSql() {
    }

    // ---------------------------------------------------------------- identifiers

    /** {@code name} as a quoted CrateDB identifier. */
    static String quote(String name) {
        if (name.indexOf('\0') >= 0) {
            throw new SyncException(ErrorType.CONFIG, "identifier contains a NUL character, which CrateDB cannot carry: "
                    + name.replace("\0", "\\0"));
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** {@code "schema"."table"}. */
    static String qualified(CrateTable table) {
        return quote(table.schema()) + "." + quote(table.name());
    }

    /**
     * Checks a schema or table name against CrateDB's naming rules so a bad name fails with a message naming it,
     * not with a server error later. Returns {@code null} when fine, otherwise what is wrong.
     */
    static String tableNameProblem(String name) {
        if (name.isEmpty()) {
            return "is empty";
        }
        if (name.startsWith("_")) {
            return "starts with '_', which CrateDB reserves for system relations";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (FORBIDDEN_TABLE_CHARS.indexOf(c) >= 0 || c == '\0') {
                return "contains '" + printable(c) + "', which CrateDB does not allow in schema or table names";
            }
        }
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
            return "is longer than 255 bytes";
        }
        return null;
    }

    /** Like {@link #tableNameProblem} for column names. */
    static String columnNameProblem(String name) {
        if (name.startsWith("_")) {
            return "starts with '_', which CrateDB reserves for system columns";
        }
        if (name.indexOf('[') >= 0 || name.indexOf(']') >= 0) {
            return "contains '[' or ']', which CrateDB reads as an object subscript";
        }
        if (name.indexOf('.') >= 0) {
            return "contains '.', which CrateDB reads as an object path";
        }
        if (name.indexOf('\0') >= 0) {
            return "contains a NUL character";
        }
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
            return "is longer than 255 bytes";
        }
        return null;
    }

    private static String printable(char c) {
        switch (c) {
            case ' ': return "space";
            case '\t': return "tab";
            case '\r': return "\\r";
            case '\n': return "\\n";
            case '\0': return "\\0";
            default: return String.valueOf(c);
        }
    }

    // ---------------------------------------------------------------- types

    /** The CrateDB column type for a logical column. */
    static String columnType(Column c, CrateSettings s) {
        if (c.type() == LogicalType.ARRAY) {
            if (c.elementType() == LogicalType.ARRAY || c.elementType() == LogicalType.JSON) {
                throw new SyncException(ErrorType.CONFIG, "column '" + c.name() + "': arrays of "
                        + c.elementType() + " values are not supported by the CrateDB sink");
            }
            return "ARRAY(" + scalarType(c.elementType(), 0, 0, s, true) + ")";
        }
        return scalarType(c.type(), c.precision(), c.scale(), s, false);
    }

    private static String scalarType(LogicalType t, int precision, int scale, CrateSettings s, boolean element) {
        switch (t) {
            case STRING:
                return "TEXT";
            case INT32:
                return "INTEGER";
            case INT64:
                return "BIGINT";
            case FLOAT64:
                return "DOUBLE PRECISION";
            case BOOLEAN:
                return "BOOLEAN";
            case DECIMAL:
                return element ? "TEXT" : decimalType(precision, scale, s.decimalMapping());
            case BYTES:
            case UUID:
                return "TEXT";
            case DATE:
            case TIMESTAMP:
                return "TIMESTAMP WITHOUT TIME ZONE";
            case TIMESTAMP_TZ:
                return "TIMESTAMP WITH TIME ZONE";
            case JSON:
                return "OBJECT(" + s.objectPolicy().toUpperCase(Locale.ROOT) + ")";
            default:
                throw new IllegalStateException("unhandled type " + t);
        }
    }

    /**
     * CrateDB stores NUMERIC only with a declared precision of at most 38 digits (and older versions not at all);
     * anything else goes to TEXT, which keeps every digit.
     */
    static String decimalType(int precision, int scale, DecimalMapping mapping) {
        switch (mapping) {
            case TEXT:
                return "TEXT";
            case DOUBLE:
                return "DOUBLE PRECISION";
            default:
                if (precision >= 1 && precision <= 38 && scale <= precision) {
                    return "NUMERIC(" + precision + ", " + scale + ")";
                }
                return "TEXT";
        }
    }

    /** How a logical type is stored: where the CrateDB type differs from the logical one. */
    static boolean storedAsText(Column c, CrateSettings s) {
        return "TEXT".equals(columnType(c, s)) && c.type() != LogicalType.STRING;
    }

    // ---------------------------------------------------------------- DDL

    /** {@code CREATE TABLE IF NOT EXISTS} with every column, the primary key and the table options. */
    static String createTable(CrateTable table, TableSchema schema, CrateSettings s) {
        List<String> partitionBy = s.partitionBy(table.name());
        for (String p : partitionBy) {
            if (schema.indexOf(p) < 0) {
                throw new SyncException(ErrorType.CONFIG, "invalid setting 'partition.by': table '" + table.name()
                        + "' has no column '" + p + "'");
            }
            if (!schema.primaryKey().contains(p)) {
                // CrateDB requires partition columns of a table with a primary key to be part of that key
                throw new SyncException(ErrorType.CONFIG, "invalid setting 'partition.by': column '" + p
                        + "' of table '" + table.name() + "' is not part of its primary key " + schema.primaryKey()
                        + "; CrateDB only partitions by primary-key columns");
            }
        }
        StringBuilder sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(qualified(table)).append(" (");
        for (int i = 0; i < schema.columns().size(); i++) {
            Column c = schema.columns().get(i);
            String problem = columnNameProblem(c.name());
            if (problem != null) {
                throw new SyncException(ErrorType.CONFIG, "table '" + table.name() + "': column name '" + c.name() + "' "
                        + problem + "; rename it in the source or a view");
            }
            if (i > 0) {
                sql.append(", ");
            }
            sql.append(quote(c.name())).append(' ').append(columnType(c, s));
            if (!c.nullable() && !schema.primaryKey().contains(c.name())) {
                sql.append(" NOT NULL");
            }
        }
        sql.append(", PRIMARY KEY (").append(joinQuoted(schema.primaryKey())).append("))");
        if (s.shards() != null) {
            sql.append(" CLUSTERED INTO ").append(s.shards().intValue()).append(" SHARDS");
        }
        if (!partitionBy.isEmpty()) {
            sql.append(" PARTITIONED BY (").append(joinQuoted(partitionBy)).append(')');
        }
        if (s.replicas() != null) {
            sql.append(" WITH (number_of_replicas = '").append(CrateSettings.checkReplicas(s.replicas())).append("')");
        }
        return sql.toString();
    }

    // ---------------------------------------------------------------- DML

    /**
     * {@code INSERT … ON CONFLICT (key) DO UPDATE SET c = excluded.c} for every non-key column; JSON columns take
     * their value as JSON text cast to OBJECT. A table made only of key columns gets {@code DO NOTHING}.
     */
    static String upsert(CrateTable table, TableSchema schema) {
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(qualified(table)).append(" (")
                .append(joinQuoted(schema.columnNames())).append(") VALUES (");
        for (int i = 0; i < schema.columns().size(); i++) {
            if (i > 0) {
                sql.append(", ");
            }
            sql.append(placeholder(schema.columns().get(i)));
        }
        sql.append(") ON CONFLICT (").append(joinQuoted(schema.primaryKey())).append(") DO ");
        List<String> set = new ArrayList<>();
        for (Column c : schema.columns()) {
            if (!schema.primaryKey().contains(c.name())) {
                String q = quote(c.name());
                set.add(q + " = excluded." + q);
            }
        }
        if (set.isEmpty()) {
            sql.append("NOTHING");
        } else {
            sql.append("UPDATE SET ").append(String.join(", ", set));
        }
        return sql.toString();
    }

    /** The bind placeholder of a column: JSON objects are sent as text and cast by CrateDB. */
    static String placeholder(Column c) {
        return c.type() == LogicalType.JSON ? "?::OBJECT" : "?";
    }

    /** {@code DELETE … WHERE k1 = ? AND k2 = ?}: by primary key, so CrateDB deletes by id without a search. */
    static String deleteByKey(CrateTable table, TableSchema schema) {
        StringBuilder sql = new StringBuilder("DELETE FROM ").append(qualified(table)).append(" WHERE ");
        List<String> key = schema.primaryKey();
        for (int i = 0; i < key.size(); i++) {
            if (i > 0) {
                sql.append(" AND ");
            }
            sql.append(quote(key.get(i))).append(" = ?");
        }
        return sql.toString();
    }

    /** Removes every row (CrateDB has no TRUNCATE); it deletes what a search sees, so refresh first. */
    static String deleteAll(CrateTable table) {
        return "DELETE FROM " + qualified(table);
    }

    /** Makes every written row visible to searches. */
    static String refresh(CrateTable table) {
        return "REFRESH TABLE " + qualified(table);
    }

    // ---------------------------------------------------------------- reads

    /**
     * The expanded keyset predicate "{@code (k1, …, kn) > (?, …, ?)}", which CrateDB cannot write as a row-value
     * comparison: {@code k1 > ? OR (k1 = ? AND (k2 > ? OR (k2 = ? AND …)))}. {@link #keysetParameters} lists the
     * values to bind in order.
     */
    static String keysetAfter(List<String> exprs) {
        return expand(exprs, 0);
    }

    private static String expand(List<String> exprs, int i) {
        String e = exprs.get(i);
        if (i == exprs.size() - 1) {
            return e + " > ?";
        }
        return e + " > ? OR (" + e + " = ? AND " + group(exprs, i + 1) + ")";
    }

    private static String group(List<String> exprs, int i) {
        String inner = expand(exprs, i);
        return i == exprs.size() - 1 ? inner : "(" + inner + ")";
    }

    /** The values to bind for {@link #keysetAfter}: each value twice except the last, in order. */
    static List<Object> keysetParameters(List<Object> values) {
        List<Object> out = new ArrayList<>(values.size() * 2);
        for (int i = 0; i < values.size(); i++) {
            out.add(values.get(i));
            if (i < values.size() - 1) {
                out.add(values.get(i));
            }
        }
        return out;
    }

    /** The cursor expression: one column, or the COALESCE of several in order. */
    static String cursorExpr(List<String> cursorColumns) {
        if (cursorColumns.size() == 1) {
            return quote(cursorColumns.get(0));
        }
        return "COALESCE(" + joinQuoted(cursorColumns) + ")";
    }

    /**
     * A snapshot chunk: every column in key order after the given key ({@code hasAfter}), at most {@code LIMIT ?}
     * rows.
     */
    static String snapshotQuery(CrateTable table, TableSchema schema, boolean hasAfter) {
        List<String> keys = quoteAll(schema.primaryKey());
        StringBuilder sql = new StringBuilder("SELECT ").append(joinQuoted(schema.columnNames()))
                .append(" FROM ").append(qualified(table));
        if (hasAfter) {
            sql.append(" WHERE ").append(keysetAfter(keys));
        }
        sql.append(" ORDER BY ").append(String.join(", ", keys)).append(" LIMIT ?");
        return sql.toString();
    }

    /** How an incremental read starts. */
    enum ChangesFrom {
        /** Every row with a cursor. */
        BEGINNING,
        /** Rows whose cursor is at least the bound value. */
        CURSOR_AT_LEAST,
        /** Rows after (cursor, key…) in (cursor, key) order. */
        AFTER_ROW
    }

    /**
     * An incremental chunk: the columns plus the cursor value as the last output column, ordered by (cursor, key)
     * so rows sharing a cursor value are never skipped at a chunk boundary; rows without a cursor value are never
     * read incrementally. With {@code bounded}, only rows whose cursor lies below the safe bound (the parameter
     * before {@code LIMIT}) are read.
     */
    static String changesQuery(CrateTable table, TableSchema schema, List<String> cursorColumns, ChangesFrom from,
                               boolean bounded) {
        String cursor = cursorExpr(cursorColumns);
        List<String> order = new ArrayList<>();
        order.add(cursor);
        order.addAll(quoteAll(schema.primaryKey()));
        StringBuilder sql = new StringBuilder("SELECT ").append(joinQuoted(schema.columnNames())).append(", ")
                .append(cursor).append(" FROM ").append(qualified(table)).append(" WHERE ");
        switch (from) {
            case BEGINNING:
                sql.append(cursor).append(" IS NOT NULL");
                break;
            case CURSOR_AT_LEAST:
                sql.append(cursor).append(" >= ?");
                break;
            default:
                sql.append(cursor).append(" IS NOT NULL AND (").append(keysetAfter(order)).append(')');
        }
        if (bounded) {
            sql.append(" AND ").append(cursor).append(" < ?");
        }
        sql.append(" ORDER BY ").append(String.join(", ", order)).append(" LIMIT ?");
        return sql.toString();
    }

    /** CrateDB's current time, from which the safe bound of incremental reads is taken. */
    static String currentTime() {
        return "SELECT CURRENT_TIMESTAMP";
    }

    /**
     * Write statements still running in the cluster whose text names the table (the parameter, a LIKE pattern):
     * their id and start. Rows of a bulk write in progress carry cursor values from around its start and become
     * visible shard by shard.
     */
    static String runningWrites() {
        return "SELECT id, started FROM sys.jobs WHERE stmt ~* '\\s*(insert|update|delete|copy)\\s[\\s\\S]*'"
                + " AND stmt ILIKE ?";
    }

    /** The largest cursor value, the start of incremental reads. */
    static String maxCursor(CrateTable table, List<String> cursorColumns) {
        return "SELECT MAX(" + cursorExpr(cursorColumns) + ") FROM " + qualified(table);
    }

    /** Primary shards' document count: a cheap row estimate. */
    static String estimateRows() {
        return "SELECT SUM(num_docs) FROM sys.shards WHERE schema_name = ? AND table_name = ? AND \"primary\" = TRUE";
    }

    /** Top-level columns of a table (object sub-columns, listed as {@code o['k']}, are left out). */
    static String describeColumns() {
        return "SELECT column_name, data_type, is_nullable, numeric_precision, numeric_scale"
                + " FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
                + " ORDER BY ordinal_position";
    }

    /** Primary-key columns in key order. */
    static String describeKey() {
        return "SELECT column_name FROM information_schema.key_column_usage"
                + " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position";
    }

    /** Base tables of a schema. */
    static String listTables() {
        return "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'"
                + " ORDER BY table_name";
    }

    // ---------------------------------------------------------------- helpers

    static String joinQuoted(List<String> names) {
        return String.join(", ", quoteAll(names));
    }

    static List<String> quoteAll(List<String> names) {
        List<String> out = new ArrayList<>(names.size());
        for (String n : names) {
            out.add(quote(n));
        }
        return out;
    }
}
