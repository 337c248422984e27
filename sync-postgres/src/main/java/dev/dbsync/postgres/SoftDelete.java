package dev.dbsync.postgres;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSpec;
import java.util.Locale;

/**
 * Whether a row is soft-deleted: the one rule for snapshots, incremental reads and the change feed, applied
 * to the column's PostgreSQL text form (what its type's output function prints: {@code t} for a boolean,
 * char(n) padded). A boolean column compares truth values, so the marker may be any PostgreSQL boolean
 * literal ({@code true}, {@code t}, {@code yes}, {@code on}, {@code 1} …, in any case); any other column
 * compares the text exactly, case included. NULL never marks a deleted row.
 */
final class SoftDelete {

    private SoftDelete() {
    }

    /** Whether {@code text} (the column's text form, null for NULL) equals the spec's marker. */
    static boolean matches(LogicalType type, String marker, String text) {
        if (text == null) {
            return false;
        }
        if (type == LogicalType.BOOLEAN) {
            Boolean value = truth(text);
            return value != null && value == truth(marker);
        }
        return text.equals(marker);
    }

    /** Fails when a boolean column's marker is no boolean, which would otherwise never (or always) match. */
    static void check(TableSpec spec, Column column) {
        if (column.type() == LogicalType.BOOLEAN && truth(spec.softDeleteValue()) == null) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': the soft-delete value '"
                    + spec.softDeleteValue() + "' of boolean column '" + column.name() + "' is no boolean; use true or false");
        }
    }

    /** A PostgreSQL boolean literal's value, or null when the text is none. */
    static Boolean truth(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true": case "t": case "yes": case "y": case "on": case "1":
                return Boolean.TRUE;
            case "false": case "f": case "no": case "n": case "off": case "0":
                return Boolean.FALSE;
            default:
                return null;
        }
    }

    /**
     * The select-list expression giving the column's text form as {@link #matches} expects it: the output
     * function's text ({@code format('%s', …)}), not {@code ::text}, which differs for booleans, char(n)
     * and inet, and NULL for NULL.
     */
    static String textExpression(Column column) {
        String q = PgName.quote(column.name());
        return "CASE WHEN " + q + " IS NOT NULL THEN format('%s', " + q + ") END";
    }
}
