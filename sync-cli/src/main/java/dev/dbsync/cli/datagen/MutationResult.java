package dev.dbsync.cli.datagen;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows one mutation changed, by table.
 *
 * @param kind what was done
 * @param ids  changed ids per table name, ascending; an insert of orders also lists the order_items it added
 */
public record MutationResult(Kind kind, Map<String, List<Long>> ids) {

    /** What a mutation did to the rows it lists. */
    public enum Kind {
        /** New rows, with {@code created_at = updated_at = now()}. */
        INSERTED,
        /** Existing rows changed, with {@code updated_at = now()}. */
        UPDATED,
        /** Existing rows marked {@code is_deleted = true}, with {@code updated_at = now()}. */
        SOFT_DELETED
    }

    public MutationResult {
        requireNonNull(kind, "kind is null");
        Map<String, List<Long>> copy = new LinkedHashMap<>();
        requireNonNull(ids, "ids is null").forEach((table, list) -> copy.put(table, List.copyOf(list)));
        ids = java.util.Collections.unmodifiableMap(copy);
    }

    /** Ids changed in {@code table}; empty when none. */
    public List<Long> ids(EcommerceTable table) {
        return ids.getOrDefault(table.tableName(), List.of());
    }

    /** Number of rows changed in all tables. */
    public int count() {
        return ids.values().stream().mapToInt(List::size).sum();
    }
}
