package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What the user configured about one source table: which table, how to identify rows, how to find changed
 * rows, and how deleted rows are marked. Immutable; changes go through the {@code with…} copies.
 *
 * @param table           the source table or collection, as the source names it (e.g. {@code public.orders})
 * @param keyColumns      key columns to use instead of the discovered primary key; empty = discovered
 * @param cursorColumns   the incremental cursor: one or more monotone columns; with more than one the cursor
 *                        is their {@code COALESCE} in this order (e.g. {@code [updated_at, created_at]} for a
 *                        loader where new rows carry only {@code created_at}); empty = no incremental reads
 * @param softDeleteColumn a column whose value {@link #softDeleteValue()} marks a deleted row; such rows are
 *                        read as {@link Operation#DELETE} events; null = no soft deletes
 * @param softDeleteValue the marking value as text, compared with the column's value (default {@code "true"})
 */
public record TableSpec(String table, List<String> keyColumns, List<String> cursorColumns,
                        String softDeleteColumn, String softDeleteValue) {

    public TableSpec {
        requireNonNull(table, "table is null");
        if (table.isBlank()) {
            throw new IllegalArgumentException("table name is blank");
        }
        keyColumns = List.copyOf(requireNonNull(keyColumns, "keyColumns is null"));
        cursorColumns = List.copyOf(requireNonNull(cursorColumns, "cursorColumns is null"));
        for (String c : keyColumns) {
            if (c.isBlank()) {
                throw new IllegalArgumentException("table '" + table + "': a key column name is blank");
            }
        }
        for (String c : cursorColumns) {
            if (c.isBlank()) {
                throw new IllegalArgumentException("table '" + table + "': a cursor column name is blank");
            }
        }
        if (softDeleteColumn != null && softDeleteColumn.isBlank()) {
            softDeleteColumn = null;
        }
        softDeleteValue = softDeleteValue == null ? "true" : softDeleteValue;
    }

    /** A spec for the table with no key override, no cursor and no soft-delete column. */
    public static TableSpec of(String table) {
        return new TableSpec(table, List.of(), List.of(), null, "true");
    }

    public TableSpec withKey(String... columns) {
        return new TableSpec(table, List.of(columns), cursorColumns, softDeleteColumn, softDeleteValue);
    }

    public TableSpec withCursor(String... columns) {
        return new TableSpec(table, keyColumns, List.of(columns), softDeleteColumn, softDeleteValue);
    }

    public TableSpec withSoftDelete(String column) {
        return new TableSpec(table, keyColumns, cursorColumns, column, "true");
    }

    public TableSpec withSoftDelete(String column, String markingValue) {
        return new TableSpec(table, keyColumns, cursorColumns, column, markingValue);
    }

    /** Whether incremental reads are possible (a cursor is configured). */
    public boolean hasCursor() {
        return !cursorColumns.isEmpty();
    }
}
