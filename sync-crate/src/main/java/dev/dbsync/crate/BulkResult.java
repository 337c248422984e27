package dev.dbsync.crate;

import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the per-row counts of a CrateDB bulk request. CrateDB does not raise when single rows of a bulk request
 * fail: it reports them with a count of 0 (a bulk insert with a duplicate key returned {@code [0, 1]}), and a
 * driver may report {@link Statement#EXECUTE_FAILED} or {@link Statement#SUCCESS_NO_INFO} for rows it could not
 * confirm. A row is confirmed only by a positive count; every other row is retried on its own, where CrateDB
 * raises a real error for a real failure. Retrying is safe because upserts and deletes by key are idempotent.
 *
 * <p>A count of 0 is ambiguous for a delete (the row may already be gone) and for an upsert that does nothing
 * on conflict; the single retry tells those apart from failures.
 */
final class BulkResult {

    private BulkResult() {
    }

    /**
     * Indexes (0-based, ascending) of the rows that are not confirmed. {@code counts} may be shorter than
     * {@code rows} (a driver stops reporting after an error): the rows without a count are unconfirmed too.
     */
    static int[] unconfirmed(int[] counts, int rows) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            if (counts == null || i >= counts.length || counts[i] <= 0) {
                out.add(i);
            }
        }
        int[] a = new int[out.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = out.get(i);
        }
        return a;
    }

    /** What one row's count on its own retry means. */
    enum Retry {
        /** Applied. */
        APPLIED,
        /** CrateDB reported no row written without raising: treated as a failure of that row. */
        NOT_WRITTEN
    }

    /**
     * Interprets the count of a single-row retry. A delete or a do-nothing upsert may legitimately touch no row;
     * an upsert that updates on conflict always writes one, so 0 means it was not written.
     */
    static Retry retry(int count, boolean mustWriteRow) {
        if (count > 0 || count == Statement.SUCCESS_NO_INFO) {
            return Retry.APPLIED;
        }
        return mustWriteRow ? Retry.NOT_WRITTEN : Retry.APPLIED;
    }

    /** Who is to blame for an SQL error. */
    enum Blame {
        /** The connection broke or the cluster is unavailable or busy: retry the whole batch later. */
        TRANSIENT,
        /** The statement cannot work for any row (missing table or column, permissions): stop the table. */
        STATEMENT,
        /** Something about this row's values: hand the row to the dead-letter handler. */
        ROW
    }

    /**
     * Messages of CrateDB's generic SQLSTATE XX000 that name a problem of the row's values. CrateDB reports
     * almost every error, the row's or the cluster's, as XX000, so only these are blamed on the row; any other
     * XX000 is treated as transient and retried (a row that really is bad then stops the table after the
     * retries instead of being dead-lettered — never a row skipped for a cluster hiccup).
     */
    private static final java.util.regex.Pattern ROW_MESSAGES = java.util.regex.Pattern.compile(
            "exceeds allowed range|Cannot cast|cannot be cast|is too long for|Cannot add column|must not be null"
                    + "|Failed to parse|failed to parse|Couldn't parse|mapper_parsing|Mixed dataTypes"
                    + "|nested arrays are not supported|A document with the same primary key exists already");

    /**
     * Who is to blame for an SQL error, from its SQLSTATE and, for CrateDB's generic {@code XX000} and errors
     * without a SQLSTATE, from its message.
     */
    static Blame blame(String sqlState, String message) {
        if (sqlState == null || sqlState.isEmpty()) {
            // pgjdbc raises I/O failures without a SQLSTATE or with 08xxx; CrateDB always sends one for its own
            // errors, so a missing one means the exchange itself failed
            return Blame.TRANSIENT;
        }
        if (sqlState.startsWith("08") || sqlState.startsWith("57") || sqlState.startsWith("53")
                || sqlState.startsWith("40") || sqlState.equals("55P03") || sqlState.startsWith("58")) {
            return Blame.TRANSIENT;
        }
        if (sqlState.startsWith("42") || sqlState.startsWith("28") || sqlState.startsWith("3F")
                || sqlState.startsWith("0A") || sqlState.startsWith("25")) {
            return Blame.STATEMENT;
        }
        if (sqlState.startsWith("22") || sqlState.startsWith("23")) {
            return Blame.ROW;
        }
        if (message != null && ROW_MESSAGES.matcher(message).find()) {
            return Blame.ROW;
        }
        return Blame.TRANSIENT;
    }

    /** {@link #blame(String, String)} of an exception. */
    static Blame blame(java.sql.SQLException e) {
        return blame(e.getSQLState(), e.getMessage());
    }
}
