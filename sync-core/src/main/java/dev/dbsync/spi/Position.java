package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Where a source is in a table: an ordered tuple of values whose meaning the source defines (the last key
 * read by a snapshot; the cursor value and key of the last incremental row; a log sequence number).
 * The engine stores positions in checkpoints and hands them back; it never interprets them.
 *
 * <p>Values use the documented event value types (see {@link LogicalType}) and may be null. Positions
 * are immutable and compare by value. {@link #encode()} and {@link #decode(String)} round-trip every
 * supported type exactly.
 */
public final class Position {

    private final List<Object> values;

    private Position(List<Object> values) {
        this.values = values;
    }

    /** A position made of the given values, in order (nulls allowed). The array is copied. */
    public static Position of(Object... values) {
        return new Position(new ArrayView(values.clone()));
    }

    /**
     * A position over {@code values} without copying them, for sources on their per-row path: the caller hands
     * the array over and never changes it afterwards (it may be shared with the event's key).
     */
    public static Position ofOwned(Object[] values) {
        return new Position(new ArrayView(values));
    }

    /** A position made of the given values, in order (nulls allowed). */
    public static Position of(List<?> values) {
        return new Position(Collections.unmodifiableList(new ArrayList<>(requireNonNull(values, "values is null"))));
    }

    /** The values, unmodifiable; never null. */
    public List<Object> values() {
        return values;
    }

    /** The value at {@code index}. */
    public Object get(int index) {
        return values.get(index);
    }

    /** Number of values. */
    public int size() {
        return values.size();
    }

    /** A text form that {@link #decode(String)} turns back into an equal position. */
    public String encode() {
        return PositionCodec.encode(values);
    }

    /** Parses the output of {@link #encode()}; throws {@link IllegalArgumentException} on malformed text. */
    public static Position decode(String text) {
        return new Position(Collections.unmodifiableList(PositionCodec.decode(requireNonNull(text, "text is null"))));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Position)) {
            return false;
        }
        List<Object> other = ((Position) o).values;
        if (other.size() != values.size()) {
            return false;
        }
        for (int i = 0; i < values.size(); i++) {
            Object a = values.get(i);
            Object b = other.get(i);
            if (a instanceof byte[] && b instanceof byte[]) {
                if (!Arrays.equals((byte[]) a, (byte[]) b)) {
                    return false;
                }
            } else if (a == null ? b != null : !a.equals(b)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (Object v : values) {
            h = 31 * h + (v instanceof byte[] ? Arrays.hashCode((byte[]) v) : (v == null ? 0 : v.hashCode()));
        }
        return h;
    }

    @Override
    public String toString() {
        return encode();
    }
}
