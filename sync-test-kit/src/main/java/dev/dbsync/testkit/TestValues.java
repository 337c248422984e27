package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Compares values the way the contract suites do: numbers by value, instants whatever their Java type,
 * UUIDs with their text, bytes with their base64 text, JSON by structure. Strict otherwise: a different value
 * always fails.
 */
public final class TestValues {

    private TestValues() {
    }

    /** Whether {@code actual} stands for the same value as {@code expected}. */
    public static boolean same(Object expected, Object actual) {
        if (expected == null || actual == null) {
            return expected == null && actual == null;
        }
        if (expected instanceof Number && actual instanceof Number) {
            if (expected instanceof Double || actual instanceof Double || expected instanceof Float || actual instanceof Float) {
                return Double.compare(((Number) expected).doubleValue(), ((Number) actual).doubleValue()) == 0;
            }
            return new BigDecimal(expected.toString()).compareTo(new BigDecimal(actual.toString())) == 0;
        }
        if (expected instanceof Number && actual instanceof String) {
            try {
                return same(expected, new BigDecimal((String) actual));
            } catch (NumberFormatException e) {
                return false;
            }
        }
        if (instant(expected) != null && instant(actual) != null) {
            return instant(expected).equals(instant(actual));
        }
        if (expected instanceof LocalDateTime && actual instanceof LocalDateTime) {
            return expected.equals(actual);
        }
        if (expected instanceof UUID || actual instanceof UUID) {
            return expected.toString().equalsIgnoreCase(actual.toString());
        }
        if (expected instanceof byte[]) {
            if (actual instanceof byte[]) {
                return Arrays.equals((byte[]) expected, (byte[]) actual);
            }
            return actual instanceof String && Base64.getEncoder().encodeToString((byte[]) expected).equals(actual);
        }
        if (expected instanceof Map && actual instanceof Map) {
            Map<?, ?> e = (Map<?, ?>) expected;
            Map<?, ?> a = (Map<?, ?>) actual;
            if (e.size() != a.size()) {
                return false;
            }
            for (Map.Entry<?, ?> en : e.entrySet()) {
                if (!a.containsKey(en.getKey()) || !same(en.getValue(), a.get(en.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (expected instanceof List && actual instanceof List) {
            List<?> e = (List<?>) expected;
            List<?> a = (List<?>) actual;
            if (e.size() != a.size()) {
                return false;
            }
            Iterator<?> ia = a.iterator();
            for (Object x : e) {
                if (!same(x, ia.next())) {
                    return false;
                }
            }
            return true;
        }
        if (expected instanceof Boolean && actual instanceof Number) {
            return ((Boolean) expected) == (((Number) actual).intValue() != 0);
        }
        return Objects.equals(expected, actual);
    }

    private static Instant instant(Object v) {
        if (v instanceof Instant) {
            return (Instant) v;
        }
        if (v instanceof OffsetDateTime) {
            return ((OffsetDateTime) v).toInstant();
        }
        if (v instanceof java.sql.Timestamp) {
            return ((java.sql.Timestamp) v).toInstant();
        }
        if (v instanceof java.time.ZonedDateTime) {
            return ((java.time.ZonedDateTime) v).toInstant();
        }
        return null;
    }

    /** Fails naming the row and column when a row differs from what was expected. */
    public static void assertRow(String context, List<String> columns, List<Object> expected, Map<String, Object> actual) {
        for (int i = 0; i < columns.size(); i++) {
            String c = columns.get(i);
            if (!actual.containsKey(c)) {
                fail(context + ": column '" + c + "' missing from target row " + actual);
            }
            if (!same(expected.get(i), actual.get(c))) {
                fail(context + ": column '" + c + "': expected " + show(expected.get(i)) + " but was " + show(actual.get(c)));
            }
        }
    }

    /** A value with its type, for messages. */
    public static String show(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof byte[]) {
            return "bytes" + Arrays.toString((byte[]) v);
        }
        return v + " (" + v.getClass().getSimpleName() + ")";
    }

    /** The instant as UTC text, for building rows. */
    public static OffsetDateTime utc(Instant i) {
        return i.atOffset(ZoneOffset.UTC);
    }

    /** A mutable list (nulls allowed) of the values. */
    public static List<Object> row(Object... values) {
        return new ArrayList<>(Arrays.asList(values));
    }
}
