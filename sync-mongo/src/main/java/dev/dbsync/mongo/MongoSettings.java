package dev.dbsync.mongo;

import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigKey;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import java.time.Duration;

/**
 * The settings of the MongoDB connectors, declared once for the source, the sink and the checkpoint store.
 * The connection string may carry a password, so it is a secret: it never appears in messages or listings.
 */
public final class MongoSettings {

    /** Connection string, {@code mongodb://…} or {@code mongodb+srv://…}. Secret. */
    public static final String URL = "url";
    /** The database holding the collections. */
    public static final String DATABASE = "database";

    /** Source: {@code columns} (one column per sampled field) or {@code document} (key plus one JSON column). */
    public static final String MODE = "mode";
    /** Source: documents sampled to infer the columns of a collection without a {@code $jsonSchema} validator. */
    public static final String SCHEMA_SAMPLE_SIZE = "schema.sample.size";
    /** Source: distance of the incremental safe bound below the server's clock. */
    public static final String INCREMENTAL_LAG = "incremental.lag";
    /** Source: allow incremental reads by a cursor that is not a date. */
    public static final String INCREMENTAL_ALLOW_UNSAFE_CURSOR = "incremental.allow.unsafe.cursor";
    /** Source: {@code auto}, {@code collection} or {@code database}: what a change stream watches. */
    public static final String STREAM_SCOPE = "stream.scope";
    /** Source: whether change streams split events above 16 MB with {@code $changeStreamSplitLargeEvent}. */
    public static final String STREAM_SPLIT_LARGE_EVENTS = "stream.split.large.events";
    /** Source: how long one getMore of a change stream waits on the server for new events. */
    public static final String STREAM_MAX_AWAIT = "stream.max.await";

    /** Sink and source: the collection of the schemas of the tables the sink wrote. */
    public static final String SCHEMA_COLLECTION = "schema.collection";
    /** Sink: the field holding the version of each written document. */
    public static final String VERSION_FIELD = "version.field";
    /** Sink: whether {@code open} creates an index on each foreign-key column and on composite key columns. */
    public static final String CREATE_INDEXES = "create.indexes";

    /** Checkpoint store: the collection of checkpoint texts. */
    public static final String CHECKPOINT_COLLECTION = "checkpoint.collection";
    /** Checkpoint store: the collection of pipeline leases. */
    public static final String LEASE_COLLECTION = "lease.collection";
    /** Checkpoint store: how long a lease lives without renewal (a killed holder blocks a restart this long). */
    public static final String LEASE_TTL = "lease.ttl";

    /** Name of the column holding the whole document in {@code document} mode. */
    public static final String DOCUMENT_COLUMN = "document";

    private static final Validator POSITIVE = v -> ((Duration) v).isNegative() || ((Duration) v).isZero() ? "must be positive" : null;

    private static final ConfigDef CONNECTION = ConfigDef.builder()
            .define(new ConfigKey(URL, ConfigType.STRING, null, true, Validator.startsWith("mongodb://", "mongodb+srv://"),
                    "MongoDB connection string, mongodb://user:password@host:port/?replicaSet=rs0 (secret: may hold a password)",
                    true))
            .required(DATABASE, ConfigType.STRING, Validator.nonBlank(), "database holding the collections")
            .optional(SCHEMA_COLLECTION, ConfigType.STRING, "dbsync_tables", Validator.nonBlank(),
                    "collection where the sink records each table's schema (key, columns, logical types) and where the"
                    + " source reads it, so a table passing through MongoDB keeps its exact schema")
            .build();

    static final ConfigDef SOURCE = ConfigDef.builder()
            .include(CONNECTION)
            .optional(MODE, ConfigType.STRING, "columns", Validator.oneOf("columns", "document"),
                    "columns: one column per field (from the $jsonSchema validator or sampled); document: the key plus the"
                    + " whole document as one JSON column named 'document'")
            .optional(SCHEMA_SAMPLE_SIZE, ConfigType.INT, "1000", Validator.range(1, 1_000_000),
                    "documents sampled ($sample) to infer the columns of a collection without a $jsonSchema validator")
            .optional(INCREMENTAL_LAG, ConfigType.DURATION, "5s",
                    "incremental reads stop this far below the server's clock, so a writer whose cursor value was taken"
                    + " just before its write lands is not skipped")
            .optional(INCREMENTAL_ALLOW_UNSAFE_CURSOR, ConfigType.BOOLEAN, "false",
                    "allow incremental reads by a cursor that is not a date (a counter has no safe bound)")
            .optional(STREAM_SCOPE, ConfigType.STRING, "auto", Validator.oneOf("auto", "collection", "database"),
                    "what a change stream watches: collection (one table only), database (filtered to the tables), auto"
                    + " (collection for one table, database for several)")
            .optional(STREAM_SPLIT_LARGE_EVENTS, ConfigType.BOOLEAN, "true",
                    "split change events above 16 MB with $changeStreamSplitLargeEvent where the server supports it")
            .optional(STREAM_MAX_AWAIT, ConfigType.DURATION, "500ms", POSITIVE,
                    "longest wait of one change stream getMore on the server")
            .build();

    static final ConfigDef SINK = ConfigDef.builder()
            .include(CONNECTION)
            .optional(VERSION_FIELD, ConfigType.STRING, "_v", Validator.matches("[^$.\\x00][^.\\x00]*", "a field name without '.' or a leading '$'"),
                    "field holding each document's version; a write older than the stored version is skipped")
            .optional(CREATE_INDEXES, ConfigType.BOOLEAN, "true",
                    "create an index on every foreign-key column and on the fields of a composite key when a table is opened")
            .build();

    static final ConfigDef CHECKPOINTS = ConfigDef.builder()
            .include(CONNECTION)
            .optional(CHECKPOINT_COLLECTION, ConfigType.STRING, "dbsync_checkpoints", Validator.nonBlank(),
                    "collection of checkpoint texts")
            .optional(LEASE_COLLECTION, ConfigType.STRING, "dbsync_leases", Validator.nonBlank(),
                    "collection of pipeline leases")
            .optional(LEASE_TTL, ConfigType.DURATION, "5s", POSITIVE,
                    "a lease not renewed for this long is free: a killed process blocks a restart at most this long")
            .build();

    private MongoSettings() {
    }

    /** The settings of the source ({@code mongo}). */
    public static ConfigDef source() {
        return SOURCE;
    }

    /** The settings of the sink ({@code mongo}). */
    public static ConfigDef sink() {
        return SINK;
    }

    /** The settings of the checkpoint store ({@code mongo}). */
    public static ConfigDef checkpoints() {
        return CHECKPOINTS;
    }
}
