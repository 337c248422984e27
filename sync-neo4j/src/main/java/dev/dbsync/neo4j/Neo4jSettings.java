package dev.dbsync.neo4j;

import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;

/**
 * The settings of the Neo4j connectors, declared once. The sink, the source and the checkpoint store share the
 * connection settings; each adds its own.
 *
 * <table>
 *   <caption>connection</caption>
 *   <tr><td>{@code url}</td><td>Bolt URL: {@code bolt://host:7687}, {@code neo4j://…}, {@code neo4j+s://…}</td></tr>
 *   <tr><td>{@code user}, {@code password}</td><td>basic authentication; no password = no authentication</td></tr>
 *   <tr><td>{@code database}</td><td>database name; default the server's default database</td></tr>
 * </table>
 */
public final class Neo4jSettings {

    public static final String URL = "url";
    public static final String USER = "user";
    public static final String PASSWORD = "password";
    public static final String DATABASE = "database";

    public static final String LABELS = "labels";
    public static final String RELATIONSHIP_TYPES = "relationship.types";
    public static final String RELATIONSHIPS = "relationships";
    public static final String JOIN_TABLES = "join.tables";
    public static final String VERSION_PROPERTY = "version.property";
    public static final String PLACEHOLDER_PROPERTY = "placeholder.property";
    public static final String CHECKPOINT_STORE = "checkpoint.store";
    public static final String LEASE_TTL = "lease.ttl";

    public static final String INCREMENTAL_LAG = "incremental.lag";
    public static final String ALLOW_UNSAFE_CURSOR = "incremental.allow.unsafe.cursor";
    public static final String SAMPLE_SIZE = "sample.size";

    /** Connection settings shared by every Neo4j connector. */
    public static final ConfigDef CONNECTION = ConfigDef.builder()
            .required(URL, ConfigType.STRING, Validator.startsWith("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://",
                    "neo4j+s://", "neo4j+ssc://"), "Bolt URL of the server, e.g. bolt://localhost:7687 or neo4j+s://host")
            .optional(USER, ConfigType.STRING, "neo4j", "user name for basic authentication")
            .secret(PASSWORD, null, "password for basic authentication; none = connect without authentication")
            .optional(DATABASE, ConfigType.STRING, null, "database name; default: the server's default database")
            .build();

    private static final ConfigDef LEASE = ConfigDef.builder()
            .optional(LEASE_TTL, ConfigType.DURATION, "6s", v -> ((java.time.Duration) v).toMillis() < 1000
                    ? "must be at least 1s, got " + v : null,
                    "how long a pipeline's lease outlives its holder; the holder renews it every third of this, so a "
                            + "killed process blocks a restart for at most this long")
            .build();

    /** Settings of the sink ({@code neo4j}). */
    public static final ConfigDef SINK = ConfigDef.builder()
            .include(CONNECTION)
            .optional(LABELS, ConfigType.LIST, null, "node label per table as table=Label (e.g. public.customers=Customer); "
                    + "default: the table name without its schema")
            .optional(RELATIONSHIP_TYPES, ConfigType.LIST, null, "relationship type per foreign key as "
                    + "table.column=TYPE or table.constraint=TYPE (e.g. orders.customer_id=PLACED_BY); default: the "
                    + "column name without its _id suffix in upper case (customer_id -> CUSTOMER)")
            .optional(RELATIONSHIPS, ConfigType.BOOLEAN, "true", "turn foreign keys into relationships")
            .optional(JOIN_TABLES, ConfigType.LIST, null, "tables written as relationships between the two rows their "
                    + "foreign keys reference, as table or table=TYPE (e.g. order_items=CONTAINS); default type: the "
                    + "table name in upper case; direction: from the foreign key whose column comes first")
            .optional(VERSION_PROPERTY, ConfigType.STRING, "_dbsync_version", Validator.nonBlank(),
                    "property holding each node's and relationship's version; an older change never overwrites a newer one")
            .optional(PLACEHOLDER_PROPERTY, ConfigType.STRING, "_dbsync_placeholder", Validator.nonBlank(),
                    "property set to true on nodes created for referenced rows not synced yet")
            .optional(CHECKPOINT_STORE, ConfigType.BOOLEAN, "false", "offer a checkpoint store in the graph, written "
                    + "in the same transaction as each batch (checkpoints: { type: sink })")
            .include(LEASE)
            .build();

    /** Settings of the source ({@code neo4j}). */
    public static final ConfigDef SOURCE = ConfigDef.builder()
            .include(CONNECTION)
            .optional(INCREMENTAL_LAG, ConfigType.DURATION, "0s", "extra distance incremental reads keep below their safe "
                    + "bound (the earlier of the server's clock and the start of its oldest open transaction); give room "
                    + "here for writers that stamp rows with their own clocks")
            .optional(ALLOW_UNSAFE_CURSOR, ConfigType.BOOLEAN, "false", "allow incremental reads by a cursor that is not "
                    + "a date-time (a number cannot be protected against late commits)")
            .optional(SAMPLE_SIZE, ConfigType.INT, "1000", Validator.range(1, 1_000_000),
                    "nodes sampled to find a label's properties and their types")
            .build();

    /** Settings of the checkpoint store ({@code neo4j}). */
    public static final ConfigDef STORE = ConfigDef.builder().include(CONNECTION).include(LEASE).build();

    private Neo4jSettings() {
    }
}
