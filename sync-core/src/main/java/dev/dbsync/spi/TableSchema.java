package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a table or collection: ordered columns, the primary key and the foreign keys. Sinks create or
 * validate their target from it; the values of every {@link ChangeEvent} of this table are aligned with
 * {@link #columns()} and its keys with {@link #primaryKey()}. Immutable; changes go through the {@code with…}
 * copies.
 *
 * <ul>
 *   <li>{@link #name()}: for sources the qualified source name, for sinks the target name;</li>
 *   <li>{@link #columns()}: the columns in order; never empty;</li>
 *   <li>{@link #primaryKey()}: names of the key columns, in key order; never empty (a table without a key
 *       cannot be synced idempotently);</li>
 *   <li>{@link #foreignKeys()}: the foreign keys the source declares; may be empty.</li>
 * </ul>
 */
public final class TableSchema {

    private final String name;
    private final List<Column> columns;
    private final List<String> primaryKey;
    private final List<ForeignKey> foreignKeys;

    /** A schema without foreign keys. */
    public TableSchema(String name, List<Column> columns, List<String> primaryKey) {
        this(name, columns, primaryKey, List.of());
    }

    public TableSchema(String name, List<Column> columns, List<String> primaryKey, List<ForeignKey> foreignKeys) {
        this.name = requireNonNull(name, "name is null");
        this.columns = List.copyOf(requireNonNull(columns, "columns is null"));
        this.primaryKey = List.copyOf(requireNonNull(primaryKey, "primaryKey is null"));
        this.foreignKeys = List.copyOf(requireNonNull(foreignKeys, "foreignKeys is null"));
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("table '" + name + "' has no columns");
        }
        if (primaryKey.isEmpty()) {
            throw new IllegalArgumentException("table '" + name + "' has no primary key; configure a key for it");
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < columns.size(); i++) {
            if (seen.put(columns.get(i).name(), i) != null) {
                throw new IllegalArgumentException("table '" + name + "' has two columns named '" + columns.get(i).name() + "'");
            }
        }
        for (String k : primaryKey) {
            if (!seen.containsKey(k)) {
                throw new IllegalArgumentException("table '" + name + "': key column '" + k + "' is not a column");
            }
        }
        for (ForeignKey fk : this.foreignKeys) {
            for (String c : fk.columns()) {
                if (!seen.containsKey(c)) {
                    throw new IllegalArgumentException("table '" + name + "': foreign key '" + fk.name() + "' column '" + c
                            + "' is not a column");
                }
            }
        }
    }

    public String name() {
        return name;
    }

    /** Unmodifiable, never empty. */
    public List<Column> columns() {
        return columns;
    }

    /** Unmodifiable, never empty. */
    public List<String> primaryKey() {
        return primaryKey;
    }

    /** Unmodifiable, may be empty. */
    public List<ForeignKey> foreignKeys() {
        return foreignKeys;
    }

    /** Index of the named column in {@link #columns()}, or -1. */
    public int indexOf(String column) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(column)) {
                return i;
            }
        }
        return -1;
    }

    /** The named column; throws {@link IllegalArgumentException} naming the table if it does not exist. */
    public Column column(String column) {
        int i = indexOf(column);
        if (i < 0) {
            throw new IllegalArgumentException("table '" + name + "' has no column '" + column + "'");
        }
        return columns.get(i);
    }

    /** Indexes of the key columns in {@link #columns()}, in key order. */
    public int[] keyIndexes() {
        int[] idx = new int[primaryKey.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = indexOf(primaryKey.get(i));
        }
        return idx;
    }

    /** Names of all columns, in order. */
    public List<String> columnNames() {
        List<String> names = new ArrayList<>(columns.size());
        for (Column c : columns) {
            names.add(c.name());
        }
        return names;
    }

    /** A copy with another name (e.g. the target table's name). */
    public TableSchema withName(String newName) {
        return new TableSchema(newName, columns, primaryKey, foreignKeys);
    }

    /** A copy with other columns (e.g. mapped to the types a sink supports); key and foreign keys stay. */
    public TableSchema withColumns(List<Column> newColumns) {
        return new TableSchema(name, newColumns, primaryKey, foreignKeys);
    }

    /** A copy with these foreign keys. */
    public TableSchema withForeignKeys(List<ForeignKey> newForeignKeys) {
        return new TableSchema(name, columns, primaryKey, newForeignKeys);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TableSchema)) {
            return false;
        }
        TableSchema t = (TableSchema) o;
        return name.equals(t.name) && columns.equals(t.columns) && primaryKey.equals(t.primaryKey)
                && foreignKeys.equals(t.foreignKeys);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(name, columns, primaryKey, foreignKeys);
    }

    @Override
    public String toString() {
        return "TableSchema[" + name + ", columns=" + columnNames() + ", key=" + primaryKey
                + (foreignKeys.isEmpty() ? "" : ", foreignKeys=" + foreignKeys) + "]";
    }
}
