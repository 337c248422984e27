package dev.dbsync.neo4j;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.CRC32;

/** Identifier quoting and names of schema objects. */
final class Cypher {

    private Cypher() {
    }

    /** A label, type or property name as a quoted identifier: any character is allowed, backticks doubled. */
    static String id(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /**
     * A stable, valid name for a constraint or index: readable letters of the parts plus a hash of them all, so
     * distinct labels never share a name however odd they are.
     */
    static String schemaName(String kind, String... parts) {
        StringBuilder readable = new StringBuilder("dbsync_").append(kind);
        CRC32 crc = new CRC32();
        for (String p : parts) {
            crc.update(p.getBytes(StandardCharsets.UTF_8));
            crc.update(0);
            String clean = p.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
            if (clean.length() > 24) {
                clean = clean.substring(0, 24);
            }
            readable.append('_').append(clean);
        }
        return readable.append('_').append(Long.toString(crc.getValue(), 36)).toString();
    }

    /** The table's name without a schema prefix ({@code public.orders} → {@code orders}). */
    static String unqualified(String table) {
        int dot = table.lastIndexOf('.');
        return dot < 0 ? table : table.substring(dot + 1);
    }

    /** {@code customer_id} → {@code CUSTOMER}, {@code parentId} → {@code PARENT}, {@code order items} → {@code ORDER_ITEMS}. */
    static String relationshipType(String name) {
        String s = name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]+", "_");
        s = s.replaceAll("^_+|_+$", "");
        return s;
    }

    /** The readable type of a one-column foreign key: its column without an {@code _id}/{@code _fk}/{@code _key} suffix. */
    static String typeFromColumn(String column) {
        String t = relationshipType(column);
        for (String suffix : new String[] {"_ID", "_FK", "_KEY", "_REF"}) {
            if (t.endsWith(suffix) && t.length() > suffix.length()) {
                return t.substring(0, t.length() - suffix.length());
            }
        }
        return t.equals("ID") ? "" : t;
    }
}
