package dev.dbsync.clickhouse;

import java.util.List;
import java.util.StringJoiner;

/** Quoting of identifiers and literals for ClickHouse SQL: every name the user or a source controls goes through here. */
final class Sql {

    private Sql() {
    }

    /** A backquoted identifier; backslashes and backquotes are escaped so no name can end the quoting. */
    static String id(String name) {
        StringBuilder b = new StringBuilder(name.length() + 2).append('`');
        escape(name, '`', b);
        return b.append('`').toString();
    }

    /** {@code `database`.`table`}. */
    static String table(String database, String table) {
        return id(database) + "." + id(table);
    }

    /** A single-quoted string literal with backslash escapes. */
    static String literal(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2).append('\'');
        escape(value, '\'', b);
        return b.append('\'').toString();
    }

    private static void escape(String s, char quote, StringBuilder b) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' || c == quote) {
                b.append('\\').append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c == 0) {
                b.append("\\0");
            } else {
                b.append(c);
            }
        }
    }

    /** Quoted names joined with ", ". */
    static String ids(List<String> names) {
        StringJoiner j = new StringJoiner(", ");
        for (String n : names) {
            j.add(id(n));
        }
        return j.toString();
    }

    /** {@code ON CLUSTER `c`} with a leading space, or nothing. */
    static String onCluster(String cluster) {
        return cluster == null || cluster.isBlank() ? "" : " ON CLUSTER " + id(cluster);
    }

    /**
     * A typed SQL expression for {@code value} in a column of type {@code type} (nullability ignored), for
     * keyset conditions and key lookups. Timestamps go as epoch numbers so no session time zone applies.
     */
    static String value(ChType type, Object value) {
        if (value == null) {
            return "NULL";
        }
        switch (type.kind) {
            case DATETIME64: {
                return type.precision <= 6 ? "fromUnixTimestamp64Micro(" + RowBinary.ticks(value, 6) + ", 'UTC')"
                        : "fromUnixTimestamp64Nano(" + RowBinary.ticks(value, 9) + ", 'UTC')";
            }
            case DATETIME:
                return "toDateTime(" + RowBinary.ticks(value, 0) + ", 'UTC')";
            case DATE:
            case DATE32:
                return "toDate32(" + ((java.time.LocalDate) value).toEpochDay() + ")";
            case BOOL:
                return Boolean.TRUE.equals(value) || value instanceof Number && ((Number) value).intValue() != 0 ? "true" : "false";
            case STRING:
            case FIXED_STRING:
                if (value instanceof byte[]) {
                    return "unhex('" + java.util.HexFormat.of().formatHex((byte[]) value) + "')";
                }
                return literal(value.toString());
            default: {
                ChType plain = new ChType(type.kind, false, false, type.precision, type.scale, type.element, type.timeZone);
                String text = value instanceof java.math.BigDecimal ? ((java.math.BigDecimal) value).toPlainString() : value.toString();
                return "CAST(" + literal(text) + " AS " + plain + ")";
            }
        }
    }
}
