package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import dev.dbsync.internal.ArrayView;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One change to one row, immutable.
 *
 * @param operation what to do with the row; never null
 * @param table     the source table or collection the change belongs to; never null
 * @param key       the primary key values, aligned with {@link TableSchema#primaryKey()}; never null, empty
 *                  only for {@link Operation#TRUNCATE}
 * @param values    the field values aligned with {@link TableSchema#columns()}: the full row for
 *                  {@link Operation#UPSERT}; for {@link Operation#DELETE} the last known row or an empty
 *                  list when only the key is known; never null. Unmodifiable; may contain nulls.
 * @param version   a number that grows with every change of the same key (the cursor value in
 *                  microseconds, a log sequence number, …) so sinks that keep versions let a newer change
 *                  win over a replayed older one; 0 when the source has none
 * @param position  the source position just after this change: resuming from it does not read this event
 *                  again; never null
 */
public record ChangeEvent(Operation operation, String table, List<Object> key, List<Object> values,
                          long version, Position position) {

    public ChangeEvent {
        requireNonNull(operation, "operation is null");
        requireNonNull(table, "table is null");
        requireNonNull(key, "key is null");
        requireNonNull(values, "values is null");
        requireNonNull(position, "position is null");
        if (key.isEmpty() && operation != Operation.TRUNCATE) {
            throw new IllegalArgumentException(operation + " event for table '" + table + "' has no key");
        }
    }

    /** An UPSERT of a full row. Arrays are wrapped, not copied: callers hand over ownership. */
    public static ChangeEvent upsert(String table, Object[] key, Object[] values, long version, Position position) {
        return new ChangeEvent(Operation.UPSERT, table, wrap(key), wrap(values), version, position);
    }

    /** A DELETE by key, with the last known row values or none. */
    public static ChangeEvent delete(String table, Object[] key, Object[] values, long version, Position position) {
        return new ChangeEvent(Operation.DELETE, table, wrap(key), values == null ? List.of() : wrap(values), version, position);
    }

    /** A TRUNCATE of the whole table. */
    public static ChangeEvent truncate(String table, long version, Position position) {
        return new ChangeEvent(Operation.TRUNCATE, table, List.of(), List.of(), version, position);
    }

    private static List<Object> wrap(Object[] a) {
        return new ArrayView(a);
    }

    /** A copy with other values (records are immutable; changes go through copies). */
    public ChangeEvent withValues(List<Object> newValues) {
        return new ChangeEvent(operation, table, key, Collections.unmodifiableList(newValues), version, position);
    }

    /**
     * A rough size in bytes of this event in memory, used to bound batches by bytes. It counts
     * characters, byte arrays and nested documents, plus a fixed overhead per value.
     */
    public long estimatedSize() {
        long size = 64;
        for (Object v : values) {
            size += sizeOf(v);
        }
        for (Object v : key) {
            size += sizeOf(v);
        }
        return size;
    }

    private static long sizeOf(Object v) {
        if (v == null) {
            return 8;
        } else if (v instanceof String) {
            return 40 + 2L * ((String) v).length();
        } else if (v instanceof byte[]) {
            return 16 + ((byte[]) v).length;
        } else if (v instanceof BigDecimal) {
            return 48;
        } else if (v instanceof Map) {
            long s = 48;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                s += sizeOf(e.getKey()) + sizeOf(e.getValue());
            }
            return s;
        } else if (v instanceof List) {
            long s = 24;
            for (Object e : (List<?>) v) {
                s += sizeOf(e);
            }
            return s;
        }
        return 24;
    }

    /** The key rendered for messages, e.g. {@code [42]} or {@code [7, "a"]}. */
    public String keyText() {
        return key.toString();
    }
}
