package dev.dbsync.crate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

class BulkResultTest {

    @Test
    void aDuplicateKeyRowReportedAsZeroIsUnconfirmed() {
        // what a real CrateDB returned for a bulk insert whose first row hit an existing key
        assertArrayEquals(new int[] {0}, BulkResult.unconfirmed(new int[] {0, 1}, 2));
    }

    @Test
    void everyRowWithoutAPositiveCountIsRetried() {
        int[] counts = {1, 0, Statement.EXECUTE_FAILED, 1, Statement.SUCCESS_NO_INFO, 2};
        assertArrayEquals(new int[] {1, 2, 4}, BulkResult.unconfirmed(counts, 6));
    }

    @Test
    void rowsBeyondAShortCountArrayAreUnconfirmed() {
        assertArrayEquals(new int[] {2, 3}, BulkResult.unconfirmed(new int[] {1, 1}, 4));
        assertArrayEquals(new int[] {0, 1, 2}, BulkResult.unconfirmed(null, 3));
        assertArrayEquals(new int[] {}, BulkResult.unconfirmed(new int[] {1, 1, 1}, 3));
    }

    @Test
    void aSingleRetryTellsMissingRowsFromFailures() {
        assertEquals(BulkResult.Retry.APPLIED, BulkResult.retry(1, true));
        assertEquals(BulkResult.Retry.NOT_WRITTEN, BulkResult.retry(0, true));
        // a delete of a row that is already gone, or a key-only upsert of an existing row
        assertEquals(BulkResult.Retry.APPLIED, BulkResult.retry(0, false));
        assertEquals(BulkResult.Retry.APPLIED, BulkResult.retry(Statement.SUCCESS_NO_INFO, true));
    }

    @Test
    void sqlStatesDecideWhoActs() {
        assertEquals(BulkResult.Blame.TRANSIENT, BulkResult.blame("08006", "An I/O error occurred"));
        assertEquals(BulkResult.Blame.TRANSIENT, BulkResult.blame("57P01", "terminating connection"));
        assertEquals(BulkResult.Blame.STATEMENT, BulkResult.blame("42P01", "Relation 'x' unknown"));
        assertEquals(BulkResult.Blame.STATEMENT, BulkResult.blame("42703", "Column y unknown"));
        assertEquals(BulkResult.Blame.STATEMENT, BulkResult.blame("28P01", "password authentication failed"));
        assertEquals(BulkResult.Blame.ROW, BulkResult.blame("23505", "A document with the same primary key exists already"));
        assertEquals(BulkResult.Blame.ROW, BulkResult.blame("22P02", "invalid input syntax"));
    }

    /** CrateDB sends XX000 for nearly everything: only messages about the row's values blame the row. */
    @Test
    void genericErrorsAreTransientUnlessTheMessageBlamesTheValue() {
        // messages measured on CrateDB 6.4.3
        for (String m : List.of("Value 9223372036854775807 exceeds allowed range for column of type bigint",
                "Cannot cast `'abc'` of type `text` to type `integer`", "'abcd' is too long for the text type of length: 3",
                "Cannot add column `b` to strict object `o`", "\"n\" must not be null",
                "Cannot cast object element `a` with value `zz` to type `integer`",
                "Cannot cast value `{bad` to type `object`")) {
            assertEquals(BulkResult.Blame.ROW, BulkResult.blame("XX000", m), m);
        }
        for (String m : List.of("no shard available for [doc.t]", "NodeDisconnectedException[[n1][127.0.0.1:4300]]",
                "[parent] Data too large, data for [bulk] would be larger than limit",
                "rejected execution of coordinating operation", "ShardNotFoundException")) {
            assertEquals(BulkResult.Blame.TRANSIENT, BulkResult.blame("XX000", m), m);
        }
        assertEquals(BulkResult.Blame.TRANSIENT, BulkResult.blame(null, "An I/O error occurred while sending to the backend."));
        assertEquals(BulkResult.Blame.TRANSIENT, BulkResult.blame(null, null));
        assertEquals(BulkResult.Blame.TRANSIENT, BulkResult.blame("XX000", null));
    }
}
