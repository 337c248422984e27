package dev.dbsync.verify;

import java.time.Duration;
import java.util.List;

/**
 * The result of one {@link Verifier#run() verification run}: one entry per table, in the order the tables were
 * given. Immutable.
 *
 * @param tables   what was found per table
 * @param duration how long the run took
 */
public record VerifyReport(List<TableVerification> tables, Duration duration) {

    public VerifyReport {
        tables = List.copyOf(tables);
        java.util.Objects.requireNonNull(duration, "duration is null");
    }

    /** Whether every table was verified and equal (expected differences allowed). */
    public boolean equal() {
        return tables.stream().allMatch(TableVerification::equal);
    }

    /** The tables that were verified and differ. */
    public List<TableVerification> differing() {
        return tables.stream().filter(t -> t.verified() && !t.equal()).toList();
    }

    /** The tables that could not be verified. */
    public List<TableVerification> failed() {
        return tables.stream().filter(t -> !t.verified()).toList();
    }

    /** The report as text, one line per table and the listed keys below a differing one. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        for (TableVerification t : tables) {
            sb.append(t.summary()).append('\n');
            keys(sb, "missing in target", t.missing(), t.differences());
            keys(sb, "only in target", t.extra(), t.differences());
            keys(sb, "values differ", t.different(), t.differences());
            if (!t.expected().isEmpty()) {
                sb.append("    expected (dead-lettered by the sync): ");
                for (int i = 0; i < t.expected().size(); i++) {
                    ExpectedDifference e = t.expected().get(i);
                    sb.append(i == 0 ? "" : "; ").append('[').append(e.key()).append("] ")
                            .append(e.column() == null ? "" : e.column() + ": ").append(e.reason());
                }
                sb.append(t.expected().size() < t.expectedDifferences() ? " \u2026" : "").append('\n');
            }
        }
        return sb.toString();
    }

    private static void keys(StringBuilder sb, String what, List<String> keys, long total) {
        if (!keys.isEmpty()) {
            sb.append("    ").append(what).append(": ");
            for (int i = 0; i < keys.size(); i++) {
                sb.append(i == 0 ? "" : "; ").append('[').append(keys.get(i)).append(']');
            }
            sb.append(keys.size() < total ? " \u2026" : "").append('\n');
        }
    }
}
