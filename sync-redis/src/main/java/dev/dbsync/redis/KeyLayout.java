package dev.dbsync.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Where things live: a row of table {@code T} with key parts {@code k1, k2} is {@code P:T:k1:k2} (prefix
 * {@code P}, separator {@code :}); the sink's bookkeeping for the table sits beside its rows under names that start
 * with {@code ~} ({@code P:T:~ver}, {@code P:T:~chg}, …); dbsync's own keys (checkpoints, leases, the table list)
 * under {@code P:~dbsync:}.
 *
 * <p>Escaping makes every name unambiguous: in a table name or a key part, {@code %}, {@code ~} and every character
 * of the separator are written as {@code %XX} (their UTF-8 bytes), and a null key part as {@code %!}. So an escaped
 * part never contains the separator, never starts with {@code ~}, and two different keys never give the same text.
 */
final class KeyLayout {

    static final String NULL_PART = "%!";

    final String prefix;
    final String sep;
    private final String base;

    KeyLayout(String prefix, String sep) {
        this.prefix = prefix;
        this.sep = sep;
        this.base = prefix.isEmpty() ? "" : prefix + sep;
    }

    String escape(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' || c == '~' || sep.indexOf(c) >= 0) {
                if (sb == null) {
                    sb = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                int cp = s.codePointAt(i);
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
                }
                if (Character.charCount(cp) == 2) {
                    i++;
                }
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    static String unescape(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[raw.length];
        int n = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '%') {
                if (i + 2 >= raw.length) {
                    throw new IllegalArgumentException("bad escape in '" + s + "'");
                }
                out[n++] = (byte) Integer.parseInt(new String(raw, i + 1, 2, StandardCharsets.US_ASCII), 16);
                i += 2;
            } else {
                out[n++] = raw[i];
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    /** Everything up to and including the separator after the table: row keys are this plus the key text. */
    String tablePrefix(String table) {
        return base + escape(table) + sep;
    }

    /** The key text of a row: its escaped key parts joined by the separator. */
    String keyText(List<String> parts) {
        if (parts.size() == 1) {
            String p = parts.get(0);
            return p == null ? NULL_PART : escape(p);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                sb.append(sep);
            }
            String p = parts.get(i);
            sb.append(p == null ? NULL_PART : escape(p));
        }
        return sb.toString();
    }

    /** The unescaped parts of a key text (null for a null part); fails when the count differs from {@code n}. */
    List<String> parts(String keyText, int n) {
        List<String> out = new ArrayList<>(n);
        int from = 0;
        while (true) {
            int at = keyText.indexOf(sep, from);
            String p = at < 0 ? keyText.substring(from) : keyText.substring(from, at);
            out.add(NULL_PART.equals(p) ? null : unescape(p));
            if (at < 0) {
                break;
            }
            from = at + sep.length();
        }
        if (out.size() != n) {
            throw new IllegalArgumentException("key '" + keyText + "' has " + out.size() + " parts, expected " + n);
        }
        return out;
    }

    /** dbsync's own keys: {@code P:~dbsync:<what>:<escaped name>}. */
    String meta(String what, String name) {
        return base + "~dbsync" + sep + what + sep + escape(name);
    }

    /** The set naming every table the sink wrote. */
    String tablesKey() {
        return base + "~dbsync" + sep + "tables";
    }

    /** A SCAN MATCH pattern for every key starting with {@code literal} (glob characters escaped). */
    static String globPrefix(String literal) {
        StringBuilder sb = new StringBuilder(literal.length() + 4);
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.append('*').toString();
    }
}
