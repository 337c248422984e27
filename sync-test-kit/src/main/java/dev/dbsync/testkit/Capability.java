package dev.dbsync.testkit;

/**
 * What a connector declares it supports; the contract suites run exactly the tests for what is declared.
 * Type capabilities name the logical types a connector stores and reads back exactly.
 */
public enum Capability {
    /** The sink applies deletes. */
    DELETE,
    /** The sink truncates tables. */
    TRUNCATE,
    /** The sink creates missing target tables from the schema. */
    AUTO_CREATE,
    /** The sink keeps versions: a replayed older change never overwrites a newer one. */
    VERSIONED,
    /** Keys of more than one column. */
    COMPOSITE_KEY,
    /** Table and column names with spaces, quotes, upper case, reserved words and non-ASCII letters. */
    ODD_IDENTIFIERS,
    /** {@link dev.dbsync.spi.LogicalType#BYTES} round-trips. */
    BINARY,
    /** {@link dev.dbsync.spi.LogicalType#UUID} round-trips (as UUID or its text). */
    UUID,
    /** {@link dev.dbsync.spi.LogicalType#JSON} round-trips by structure. */
    JSON,
    /** {@link dev.dbsync.spi.LogicalType#ARRAY} of strings round-trips. */
    ARRAY,
    /** {@link dev.dbsync.spi.LogicalType#TIMESTAMP} (no time zone) round-trips. */
    TIMESTAMP_NO_TZ,
    /** The source offers snapshot reads in chunks resumable from any event's position (every source must). */
    SNAPSHOT,
    /** The source reads incrementally by cursor and key. */
    INCREMENTAL,
    /** The source turns soft-deleted rows into DELETE events. */
    SOFT_DELETE
}
