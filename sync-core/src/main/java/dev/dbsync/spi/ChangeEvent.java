package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One change to one row, immutable. Created through the static factories; changed through the {@code with…}
 * copies. Accessors never return null.
 *
 * <ul>
 *   <li>{@link #operation()}: what to do with the row.</li>
 *   <li>{@link #kind()}: for an UPSERT, whether the source saw an insert or an update (or read the row in a
 *       snapshot, or cannot tell); {@link ChangeKind#UNKNOWN} for deletes and truncates.</li>
 *   <li>{@link #table()}: the source table or collection the change belongs to.</li>
 *   <li>{@link #key()}: the primary key values, aligned with {@link TableSchema#primaryKey()}; empty only for
 *       {@link Operation#TRUNCATE}.</li>
 *   <li>{@link #values()}: the field values aligned with {@link TableSchema#columns()}: the full row for an
 *       UPSERT; for a DELETE the last known row or an empty list when only the key is known. May hold nulls.</li>
 *   <li>{@link #before()}: the row's previous values, aligned with the columns, when the source has them
 *       (e.g. PostgreSQL with {@code REPLICA IDENTITY FULL}); empty otherwise.</li>
 *   <li>{@link #version()}: a number that grows with every change of the same key, in the order the changes
 *       became visible (a log sequence number, …), so sinks that keep versions let a newer change win over a
 *       replayed older one; 0 when the source has none.</li>
 *   <li>{@link #position()}: the source position just after this change: resuming from it does not read this
 *       event again.</li>
 * </ul>
 */
public final class ChangeEvent {

    private final Operation operation;
    private final ChangeKind kind;
    private final String table;
    private final List<Object> key;
    private final List<Object> values;
    private final List<Object> before;
    private final long version;
    private final Position position;

    private ChangeEvent(Operation operation, ChangeKind kind, String table, List<Object> key, List<Object> values,
                        List<Object> before, long version, Position position) {
        this.operation = requireNonNull(operation, "operation is null");
        this.kind = requireNonNull(kind, "kind is null");
        this.table = requireNonNull(table, "table is null");
        this.key = requireNonNull(key, "key is null");
        this.values = requireNonNull(values, "values is null");
        this.before = requireNonNull(before, "before is null");
        this.position = requireNonNull(position, "position is null");
        this.version = version;
        if (key.isEmpty() && operation != Operation.TRUNCATE) {
            throw new IllegalArgumentException(operation + " event for table '" + table + "' has no key");
        }
    }

    /**
     * An UPSERT of a full row whose origin is unknown (e.g. an incremental read). Arrays are wrapped, not
     * copied: callers hand over ownership.
     */
    public static ChangeEvent upsert(String table, Object[] key, Object[] values, long version, Position position) {
        return new ChangeEvent(Operation.UPSERT, ChangeKind.UNKNOWN, table, wrap(key), wrap(values), List.of(), version, position);
    }

    /** A row read by a snapshot ({@link ChangeKind#READ}). Arrays are wrapped, not copied. */
    public static ChangeEvent read(String table, Object[] key, Object[] values, long version, Position position) {
        return new ChangeEvent(Operation.UPSERT, ChangeKind.READ, table, wrap(key), wrap(values), List.of(), version, position);
    }

    /** A row a change feed saw inserted. Arrays are wrapped, not copied. */
    public static ChangeEvent insert(String table, Object[] key, Object[] values, long version, Position position) {
        return new ChangeEvent(Operation.UPSERT, ChangeKind.INSERT, table, wrap(key), wrap(values), List.of(), version, position);
    }

    /**
     * A row a change feed saw updated, with its previous values when known ({@code before} may be null).
     * Arrays are wrapped, not copied.
     */
    public static ChangeEvent update(String table, Object[] key, Object[] values, Object[] before, long version,
                                     Position position) {
        return new ChangeEvent(Operation.UPSERT, ChangeKind.UPDATE, table, wrap(key), wrap(values),
                before == null ? List.of() : wrap(before), version, position);
    }

    /** A DELETE by key, with the last known row values or none ({@code values} may be null). */
    public static ChangeEvent delete(String table, Object[] key, Object[] values, long version, Position position) {
        return new ChangeEvent(Operation.DELETE, ChangeKind.UNKNOWN, table, wrap(key),
                values == null ? List.of() : wrap(values), List.of(), version, position);
    }

    /** A TRUNCATE of the whole table. */
    public static ChangeEvent truncate(String table, long version, Position position) {
        return new ChangeEvent(Operation.TRUNCATE, ChangeKind.UNKNOWN, table, List.of(), List.of(), List.of(), version, position);
    }

    private static List<Object> wrap(Object[] a) {
        return new ArrayView(a);
    }

    public Operation operation() {
        return operation;
    }

    public ChangeKind kind() {
        return kind;
    }

    public String table() {
        return table;
    }

    /** Unmodifiable. */
    public List<Object> key() {
        return key;
    }

    /** Unmodifiable; may hold nulls. */
    public List<Object> values() {
        return values;
    }

    /** The previous values of an update when the source knows them; empty otherwise. Unmodifiable. */
    public List<Object> before() {
        return before;
    }

    public long version() {
        return version;
    }

    public Position position() {
        return position;
    }

    /** A copy with other values (the list is copied into an unmodifiable one). */
    public ChangeEvent withValues(List<Object> newValues) {
        return new ChangeEvent(operation, kind, table, key, Collections.unmodifiableList(new java.util.ArrayList<>(newValues)),
                before, version, position);
    }

    /** A copy with other previous values (the list is copied into an unmodifiable one). */
    public ChangeEvent withBefore(List<Object> newBefore) {
        return new ChangeEvent(operation, kind, table, key, values, Collections.unmodifiableList(new java.util.ArrayList<>(newBefore)),
                version, position);
    }

    /** A copy with another version. */
    public ChangeEvent withVersion(long newVersion) {
        return new ChangeEvent(operation, kind, table, key, values, before, newVersion, position);
    }

    /** A copy with another position (e.g. for a source that wraps another). */
    public ChangeEvent withPosition(Position newPosition) {
        return new ChangeEvent(operation, kind, table, key, values, before, version, newPosition);
    }

    /** A copy belonging to another table name (e.g. after a rename by configuration). */
    public ChangeEvent withTable(String newTable) {
        return new ChangeEvent(operation, kind, newTable, key, values, before, version, position);
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
        for (Object v : before) {
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

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ChangeEvent)) {
            return false;
        }
        ChangeEvent e = (ChangeEvent) o;
        return operation == e.operation && kind == e.kind && version == e.version && table.equals(e.table)
                && key.equals(e.key) && values.equals(e.values) && before.equals(e.before) && position.equals(e.position);
    }

    @Override
    public int hashCode() {
        return Objects.hash(operation, kind, table, key, values, before, version, position);
    }

    @Override
    public String toString() {
        return "ChangeEvent[" + operation + (kind == ChangeKind.UNKNOWN ? "" : "/" + kind) + " " + table + " key="
                + key + " version=" + version + " position=" + position + "]";
    }
}
