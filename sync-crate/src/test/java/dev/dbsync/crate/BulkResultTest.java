package dev.dbsync.crate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Statement;
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
        assertEquals(BulkResult.Blame.TRANSIENT, BulkResult.blame("08006"));
        assertEquals(BulkResult.Blame.TRANSIENT, BulkResult.blame("57P01"));
        assertEquals(BulkResult.Blame.STATEMENT, BulkResult.blame("42P01"));
        assertEquals(BulkResult.Blame.STATEMENT, BulkResult.blame("42703"));
        assertEquals(BulkResult.Blame.STATEMENT, BulkResult.blame("28P01"));
        assertEquals(BulkResult.Blame.ROW, BulkResult.blame("23505"));
        assertEquals(BulkResult.Blame.ROW, BulkResult.blame("22P02"));
        assertEquals(BulkResult.Blame.ROW, BulkResult.blame("XX000"));
        assertEquals(BulkResult.Blame.ROW, BulkResult.blame(null));
    }
}
