package dev.dbsync.postgres;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;

/**
 * The {@code postgres} sink: COPY into a staging table, then upsert and delete by key in one transaction per
 * batch; large batches of inserts (a snapshot into an empty table) are COPYed straight into the table, in
 * binary where the column types allow, and fall back to the upsert when a key exists. Settings:
 * <ul>
 *   <li>{@code url} (required), {@code user}, {@code password} (secret);</li>
 *   <li>{@code schema} (default {@code public}): schema of target tables named without one;</li>
 *   <li>{@code auto.create} (default {@code true}): create missing tables and add missing columns;</li>
 *   <li>{@code checkpoint.in.target} (default {@code false}): keep checkpoints in a table of the target,
 *       written in the same transaction as each batch, and offer it as the sink's checkpoint store;</li>
 *   <li>{@code checkpoint.table} (default {@code dbsync_checkpoint}): that table's name, in {@code schema}.</li>
 * </ul>
 */
public final class PostgresSinkFactory implements SinkFactory {

    public static final String URL = "url";
    public static final String USER = "user";
    public static final String PASSWORD = "password";
    public static final String SCHEMA = "schema";
    public static final String AUTO_CREATE = "auto.create";
    public static final String CHECKPOINT_IN_TARGET = "checkpoint.in.target";
    public static final String CHECKPOINT_TABLE = "checkpoint.table";

    private static final ConfigDef DEF = ConfigDef.builder()
            .required(URL, ConfigType.STRING, Validator.startsWith("jdbc:postgresql:"),
                    "JDBC URL of the target database, jdbc:postgresql://host:port/database")
            .optional(USER, ConfigType.STRING, null, "user name (default: from the URL or the driver)")
            .secret(PASSWORD, null, "password")
            .optional(SCHEMA, ConfigType.STRING, "public", Validator.nonBlank(), "schema of target tables named without one")
            .optional(AUTO_CREATE, ConfigType.BOOLEAN, "true", "create missing target tables and add missing columns")
            .optional(CHECKPOINT_IN_TARGET, ConfigType.BOOLEAN, "false",
                    "keep checkpoints in a target table, written in the same transaction as each batch")
            .optional(CHECKPOINT_TABLE, ConfigType.STRING, "dbsync_checkpoint", Validator.nonBlank(),
                    "name of the checkpoint table (in the sink's schema)")
            .build();

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public PostgresSinkFactory() {
    }

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public String description() {
        return "PostgreSQL sink: inserts COPYed straight into the table, other changes COPYed into a staging table, then"
                + " INSERT … ON CONFLICT and DELETE; one transaction per batch";
    }

    @Override
    public ConfigDef configDef() {
        return DEF;
    }

    @Override
    public Sink create(Config config) {
        PgConnectionFactory connections = new PgConnectionFactory(config.getString(URL), config.getString(USER),
                config.getString(PASSWORD));
        return new PostgresSink(connections, config.getString(SCHEMA), config.getBoolean(AUTO_CREATE),
                config.getBoolean(CHECKPOINT_IN_TARGET) ? config.getString(CHECKPOINT_TABLE) : null);
    }
}
