package dev.dbsync.spi;

/** What a {@link ChangeEvent} does to the target row identified by its key. */
public enum Operation {
    /** Insert the row, or replace it if a row with the same key exists. */
    UPSERT,
    /** Remove the row with this key; removing a missing row is not an error. */
    DELETE,
    /** Remove every row of the table (only from change feeds that report truncation). */
    TRUNCATE
}
