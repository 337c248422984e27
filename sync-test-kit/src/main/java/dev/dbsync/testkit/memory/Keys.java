package dev.dbsync.testkit.memory;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Orders keys and cursor tuples element by element; null sorts first. */
final class Keys {

    private Keys() {
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compareValues(Object a, Object b) {
        if (a == b) {
            return 0;
        }
        if (a == null) {
            return -1;
        }
        if (b == null) {
            return 1;
        }
        if (a instanceof byte[] && b instanceof byte[]) {
            return Arrays.compare((byte[]) a, (byte[]) b);
        }
        if (a instanceof Number && b instanceof Number && a.getClass() != b.getClass()) {
            return new java.math.BigDecimal(a.toString()).compareTo(new java.math.BigDecimal(b.toString()));
        }
        return ((Comparable) a).compareTo(b);
    }

    static final Comparator<List<Object>> TUPLES = (x, y) -> {
        int n = Math.min(x.size(), y.size());
        for (int i = 0; i < n; i++) {
            int c = compareValues(x.get(i), y.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    };
}
