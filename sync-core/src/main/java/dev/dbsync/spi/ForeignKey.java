package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A foreign key of a {@link TableSchema}: its columns reference the key columns of another table. Sinks that
 * model relationships (a graph's edges) use them; the others ignore them.
 *
 * @param name              the constraint's name as the source spells it; never null
 * @param columns           the referencing columns of this table, in constraint order; never empty
 * @param referencedTable   the referenced table, qualified as the source names tables (e.g. {@code public.customers})
 * @param referencedColumns the referenced columns, aligned with {@code columns}
 */
public record ForeignKey(String name, List<String> columns, String referencedTable, List<String> referencedColumns) {

    public ForeignKey {
        requireNonNull(name, "name is null");
        requireNonNull(referencedTable, "referencedTable is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        referencedColumns = List.copyOf(requireNonNull(referencedColumns, "referencedColumns is null"));
        if (columns.isEmpty() || columns.size() != referencedColumns.size()) {
            throw new IllegalArgumentException("foreign key '" + name + "' has " + columns.size() + " columns referencing "
                    + referencedColumns.size());
        }
    }
}
