package dev.dbsync.spi;

/** Who has to act on a {@link SyncException}. */
public enum ErrorType {
    /** Invalid configuration: the user fixes a setting. */
    CONFIG,
    /** Bad input data (a row, a value, a type): the record goes to the dead-letter handler. */
    DATA,
    /** The source or target system failed or refused (connection, permissions, missing table). */
    EXTERNAL,
    /** A defect in dbsync or a connector. */
    INTERNAL
}
