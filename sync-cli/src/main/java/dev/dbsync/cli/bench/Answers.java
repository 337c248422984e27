package dev.dbsync.cli.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Answers in a form that is equal across databases when they answer the same: the compared columns of the question
 * (or every column, by position), numbers rounded to 4 decimals without trailing zeros (sums of doubles in
 * Elasticsearch, exact decimals elsewhere), midnight timestamps as their date, {@code t}/{@code f} as booleans.
 */
final class Answers {

    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");
    private static final Pattern MIDNIGHT = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2})([ T]00:00(:00(\\.0+)?)?(Z|[+-]00(:?00)?)?)?");

    private Answers() {
    }

    /** One text per row (values joined by {@code |}), sorted when the question does not order its rows. */
    static List<String> normalise(QueryRunner.Answer answer, Queries.Query query) {
        List<String> rows = new ArrayList<>();
        for (Map<String, String> row : answer.rows()) {
            StringBuilder sb = new StringBuilder();
            if (query.compare() == null) {
                row.values().forEach(v -> sb.append(value(v)).append('|'));
            } else {
                for (String column : query.compare()) {
                    sb.append(value(get(row, column))).append('|');
                }
            }
            rows.add(sb.toString());
        }
        if (query.sorted()) {
            rows.sort(null);
        }
        return rows;
    }

    private static String get(Map<String, String> row, String column) {
        for (Map.Entry<String, String> e : row.entrySet()) {
            if (e.getKey().equalsIgnoreCase(column)) {
                return e.getValue();
            }
        }
        return null;
    }

    static String value(String v) {
        if (v == null) {
            return "NULL";
        }
        String s = v.trim();
        if (NUMBER.matcher(s).matches()) {
            return new BigDecimal(s).setScale(4, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
        }
        var m = MIDNIGHT.matcher(s);
        if (m.matches()) {
            return m.group(1);
        }
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "t", "true" -> "true";
            case "f", "false" -> "false";
            default -> s;
        };
    }
}
