package dev.dbsync.verify;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Set;

/**
 * What verification found for one table. Keys are given in their canonical text: the key's values joined by
 * {@code ", "} (e.g. {@code 42} or {@code 7, EU}). Every list holds at most the verifier's {@code maxKeys}
 * entries; the counts cover everything.
 *
 * @param table               the source table
 * @param target              the target table
 * @param sourceRows          live rows in the source
 * @param targetRows          live rows in the target
 * @param chunks              number of chunks compared
 * @param differingChunks     number of chunks whose row count or checksum differ
 * @param chunkDifferences    the first of those chunks with their counts and checksums
 * @param columns             the columns compared (those both tables have, without the soft-delete column)
 * @param missing             keys in the source but not in the target
 * @param extra               keys in the target but not in the source
 * @param different           keys in both whose values differ
 * @param differences         number of unexpected differing keys, also those not listed
 * @param expected            keys that differ because the sync dead-lettered their source row (the sink refuses
 *                            one of its values, or the source could read it only in part)
 * @param expectedDifferences number of such keys, also those not listed
 * @param expectedMissing     how many of them are absent from the target (the rest are there in another state)
 * @param probesFound         which of the probed keys are live rows of the target
 * @param error               why the table could not be verified, or null when it was
 */
public record TableVerification(String table, String target, long sourceRows, long targetRows, int chunks,
                                int differingChunks, List<ChunkDifference> chunkDifferences, List<String> columns,
                                List<String> missing, List<String> extra, List<String> different, long differences,
                                List<ExpectedDifference> expected, long expectedDifferences, long expectedMissing,
                                Set<String> probesFound, String error) {

    public TableVerification {
        requireNonNull(table, "table is null");
        requireNonNull(target, "target is null");
        chunkDifferences = List.copyOf(chunkDifferences);
        columns = List.copyOf(columns);
        missing = List.copyOf(missing);
        extra = List.copyOf(extra);
        different = List.copyOf(different);
        expected = List.copyOf(expected);
        probesFound = Set.copyOf(probesFound);
    }

    /** A table that could not be verified, with the reason. */
    static TableVerification failed(String table, String target, String error) {
        return new TableVerification(table, target, 0, 0, 0, 0, List.of(), List.of(), List.of(), List.of(), List.of(),
                0, List.of(), 0, 0, Set.of(), requireNonNull(error, "error is null"));
    }

    /** Whether the table was read on both sides (no {@link #error()}). */
    public boolean verified() {
        return error == null;
    }

    /**
     * Whether the target holds the same live rows as the source, apart from the {@link #expected() expected}
     * differences: verified, no unexpected differing key, and the row counts agree once the rows the sink
     * refused are taken away.
     */
    public boolean equal() {
        return error == null && differences == 0 && sourceRows - expectedMissing == targetRows;
    }

    /** One line for logs and the command line, e.g. {@code public.orders → orders: equal, 1,000 rows}. */
    public String summary() {
        String head = table + " \u2192 " + target + ": ";
        if (error != null) {
            return head + "NOT VERIFIED: " + error;
        }
        String rows = String.format(java.util.Locale.ROOT, "%,d source rows, %,d target rows", sourceRows, targetRows);
        String exp = expectedDifferences == 0 ? ""
                : String.format(java.util.Locale.ROOT, ", %,d expected differences (rows dead-lettered by the sync)",
                expectedDifferences);
        if (equal()) {
            return head + "equal, " + rows + exp;
        }
        return head + String.format(java.util.Locale.ROOT, "%,d keys differ", differences) + ", " + rows + exp;
    }
}
