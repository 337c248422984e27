package dev.dbsync.spi;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * An unmodifiable list over an array the caller handed over: one small object per list instead of the two
 * of {@code Collections.unmodifiableList(Arrays.asList(a))}, which matters on the per-row path.
 */
final class ArrayView extends AbstractList<Object> implements RandomAccess {

    private final Object[] values;

    ArrayView(Object[] values) {
        this.values = values;
    }

    @Override
    public Object get(int index) {
        return values[index];
    }

    @Override
    public int size() {
        return values.length;
    }

    @Override
    public Object[] toArray() {
        return values.clone();
    }

    // List's contract for hashCode and equals, without an iterator per call (keys are hashed per event)

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    @Override
    public boolean equals(Object o) {
        if (o instanceof ArrayView) {
            return Arrays.equals(values, ((ArrayView) o).values);
        }
        return super.equals(o);
    }

    /** Whether any element is a {@code byte[]} (which equals and hashes by identity). */
    boolean holdsBytes() {
        for (Object v : values) {
            if (v instanceof byte[]) {
                return true;
            }
        }
        return false;
    }
}
