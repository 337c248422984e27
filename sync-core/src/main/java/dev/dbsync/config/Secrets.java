package dev.dbsync.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hides secrets that travel inside other values: the password of a URL's user info
 * ({@code http://user:pw@host}) and password-like URL parameters ({@code ?password=…}, {@code &token=…}).
 * Everything dbsync prints about a configuration goes through it.
 */
public final class Secrets {

    private static final Pattern USER_INFO = Pattern.compile("(//[^/:@\\s]*):([^@/\\s]*)@");
    private static final Pattern PARAMETER = Pattern.compile(
            "(?i)([?&;](?:password|passwd|pwd|secret|token|apikey|api_key|access_key|secret_key|sslpassword)=)([^&;\\s]*)");

    private Secrets() {
    }

    /** {@code text} with passwords inside URLs replaced by {@code ****}; null stays null. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String s = USER_INFO.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + ":****@"));
        return PARAMETER.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + "****"));
    }
}
