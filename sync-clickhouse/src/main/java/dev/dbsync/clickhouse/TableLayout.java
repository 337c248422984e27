package dev.dbsync.clickhouse;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How one target table looks in ClickHouse: its column types, sorting key, partitioning and engine, and the
 * DDL that creates it. Pure computation, no server needed.
 */
final class TableLayout {

    /** The internal version column: the event's version, so the highest version of a key wins. */
    static final String VERSION = "_version";

    /**
     * What is XORed into an event's version to store it in a version column of type {@code type}, and
     * XORed again to read it back: for UInt64 (the column the sink creates) the sign bit, which turns the
     * signed order of versions into the unsigned order ClickHouse compares by (-1 stays below 0 instead of
     * becoming 2^64 - 1); nothing for a signed column.
     */
    static long versionOffset(ChType type) {
        return type != null && type.kind == ChType.Kind.UINT64 ? Long.MIN_VALUE : 0L;
    }
    /** The internal delete marker: 1 for a deleted row; FINAL hides such rows. */
    static final String IS_DELETED = "_is_deleted";

    final TableSchema schema;
    final String database;
    final List<ChType> types;
    final String orderBy;
    final String partitionBy;
    final String engine;
    final String onCluster;
    /** Whether the sorting key or partition uses columns beyond the key (deletes then need the row's values). */
    final boolean needsRowForDelete;

    TableLayout(TableSchema schema, ClickHouseSettings settings) {
        this.schema = schema;
        this.database = settings.database;
        String table = schema.name();
        List<ChType> t = new ArrayList<>();
        for (Column c : schema.columns()) {
            if (c.name().equals(VERSION) || c.name().equals(IS_DELETED)) {
                throw new SyncException(ErrorType.CONFIG, "table '" + table + "': column '" + c.name()
                        + "' collides with the column the ClickHouse sink keeps for itself; rename or exclude it in the source");
            }
            try {
                t.add(ChType.forColumn(c, settings.lowCardinality(table, c.name()), settings.jsonType));
            } catch (IllegalArgumentException e) {
                throw new SyncException(ErrorType.CONFIG, "table '" + table + "', column '" + c.name() + "': " + e.getMessage());
            }
        }
        this.types = List.copyOf(t);
        String configuredOrder = settings.orderBy.get(table);
        if (configuredOrder != null) {
            Set<String> tokens = identifiers(configuredOrder);
            for (String k : schema.primaryKey()) {
                if (!tokens.contains(k)) {
                    throw new ConfigException(ClickHouseSettings.ORDER_BY, "ORDER BY of table '" + table + "' ('"
                            + configuredOrder + "') must include the key column '" + k + "', or rows with one key would not replace each other");
                }
            }
            this.orderBy = configuredOrder;
        } else {
            this.orderBy = "(" + Sql.ids(schema.primaryKey()) + ")";
        }
        this.partitionBy = settings.partitionBy.get(table);
        this.engine = settings.engine != null ? settings.engine : "ReplacingMergeTree(" + Sql.id(VERSION) + ", " + Sql.id(IS_DELETED) + ")";
        this.onCluster = settings.onCluster;
        Set<String> extra = new HashSet<>();
        if (configuredOrder != null) {
            extra.addAll(identifiers(configuredOrder));
        }
        if (partitionBy != null) {
            extra.addAll(identifiers(partitionBy));
        }
        extra.retainAll(schema.columnNames());
        extra.removeAll(schema.primaryKey());
        this.needsRowForDelete = !extra.isEmpty();
    }

    String qualifiedName() {
        return Sql.table(database, schema.name());
    }

    /** Columns of the INSERT, in RowBinary order: the schema's columns, then version and delete marker. */
    List<String> insertColumns() {
        List<String> cols = new ArrayList<>();
        for (String c : schema.columnNames()) {
            cols.add(Sql.id(c));
        }
        cols.add(Sql.id(VERSION));
        cols.add(Sql.id(IS_DELETED));
        return cols;
    }

    String createTable() {
        StringBuilder b = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(qualifiedName()).append(Sql.onCluster(onCluster)).append(" (\n");
        for (int i = 0; i < types.size(); i++) {
            b.append("  ").append(Sql.id(schema.columns().get(i).name())).append(' ').append(types.get(i)).append(",\n");
        }
        b.append("  ").append(Sql.id(VERSION)).append(" UInt64,\n");
        b.append("  ").append(Sql.id(IS_DELETED)).append(" UInt8\n");
        b.append(") ENGINE = ").append(engine);
        if (partitionBy != null) {
            b.append("\nPARTITION BY ").append(partitionBy);
        }
        b.append("\nORDER BY ").append(orderBy);
        b.append("\nCOMMENT ").append(Sql.literal("dbsync key: " + String.join(",", schema.primaryKey())));
        return b.toString();
    }

    String liveViewName() {
        return schema.name() + "_live";
    }

    /** A view of the live rows: the latest version of each key, deleted ones left out. */
    String createView() {
        return "CREATE VIEW IF NOT EXISTS " + Sql.table(database, liveViewName()) + Sql.onCluster(onCluster)
                + " AS SELECT " + Sql.ids(schema.columnNames()) + " FROM " + qualifiedName() + " FINAL WHERE "
                + Sql.id(IS_DELETED) + " = 0";
    }

    String truncate() {
        return "TRUNCATE TABLE IF EXISTS " + qualifiedName() + Sql.onCluster(onCluster);
    }

    /** The optional cleanup that drops deleted rows and old versions for good (see the sink's Javadoc). */
    String optimizeCleanup() {
        return "OPTIMIZE TABLE " + qualifiedName() + Sql.onCluster(onCluster) + " FINAL CLEANUP";
    }

    /** Bare and backquoted identifiers in an SQL expression (function names included; harmless for the check). */
    static Set<String> identifiers(String expr) {
        Set<String> out = new HashSet<>();
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '`' || c == '"') {
                StringBuilder b = new StringBuilder();
                int j = i + 1;
                while (j < expr.length() && expr.charAt(j) != c) {
                    if (expr.charAt(j) == '\\' && j + 1 < expr.length()) {
                        j++;
                    }
                    b.append(expr.charAt(j++));
                }
                out.add(b.toString());
                i = j + 1;
            } else if (c == '\'') {
                int j = i + 1;
                while (j < expr.length() && expr.charAt(j) != '\'') {
                    j += expr.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
            } else if (Character.isLetter(c) || c == '_') {
                int j = i;
                while (j < expr.length() && (Character.isLetterOrDigit(expr.charAt(j)) || expr.charAt(j) == '_')) {
                    j++;
                }
                out.add(expr.substring(i, j));
                i = j;
            } else {
                i++;
            }
        }
        return out;
    }
}
