package dev.dbsync.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks a parsed, non-null setting value. Returns null when the value is fine, otherwise what is wrong
 * (e.g. {@code "must be between 1 and 100"}); the caller adds the key's name.
 */
@FunctionalInterface
public interface Validator {

    String check(Object value);

    /** Any value. */
    static Validator any() {
        return v -> null;
    }

    /** A number in {@code [min, max]}. */
    static Validator range(long min, long max) {
        return v -> {
            long n = ((Number) v).longValue();
            return n < min || n > max ? "must be between " + min + " and " + max + ", got " + v : null;
        };
    }

    /** A number at least {@code min}. */
    static Validator atLeast(long min) {
        return v -> ((Number) v).longValue() < min ? "must be at least " + min + ", got " + v : null;
    }

    /** One of the given strings, case-insensitive. */
    static Validator oneOf(String... allowed) {
        List<String> list = Arrays.asList(allowed);
        return v -> list.stream().anyMatch(a -> a.equalsIgnoreCase(String.valueOf(v)))
                ? null : "must be one of " + list + ", got '" + v + "'";
    }

    /** A non-blank string. */
    static Validator nonBlank() {
        return v -> String.valueOf(v).isBlank() ? "must not be blank" : null;
    }

    /** A string matching the regular expression, described as {@code what} in the message. */
    static Validator matches(String regex, String what) {
        Pattern p = Pattern.compile(regex);
        return v -> p.matcher(String.valueOf(v)).matches() ? null : "must be " + what + ", got '" + v + "'";
    }

    /** A string starting with one of the prefixes (e.g. URL schemes), case-insensitive. */
    static Validator startsWith(String... prefixes) {
        return v -> {
            String s = String.valueOf(v).toLowerCase(Locale.ROOT);
            for (String p : prefixes) {
                if (s.startsWith(p.toLowerCase(Locale.ROOT))) {
                    return null;
                }
            }
            return "must start with one of " + Arrays.toString(prefixes) + ", got '" + v + "'";
        };
    }
}
