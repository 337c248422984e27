package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a table or collection: ordered columns and the primary key. Sinks create or validate
 * their target from it; the values of every {@link ChangeEvent} of this table are aligned with
 * {@link #columns()} and its keys with {@link #primaryKey()}.
 *
 * @param name       the table name; for sources the qualified source name, for sinks the target name
 * @param columns    the columns in order; never empty
 * @param primaryKey names of the key columns, in key order; never empty (a table without a key cannot be
 *                   synced idempotently)
 */
public record TableSchema(String name, List<Column> columns, List<String> primaryKey) {

    public TableSchema {
        requireNonNull(name, "name is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        primaryKey = List.copyOf(requireNonNull(primaryKey, "primaryKey is null"));
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
        return new TableSchema(newName, columns, primaryKey);
    }
}
