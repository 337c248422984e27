package dev.dbsync.spi;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;

/**
 * Creates a {@link CheckpointStore} by name; found through {@link java.util.ServiceLoader}. Register an
 * implementation in {@code META-INF/services/dev.dbsync.spi.CheckpointStoreFactory}. Implementations need a public
 * no-argument constructor and must be cheap to construct (no connections before {@link #create}).
 */
public interface CheckpointStoreFactory {

    /** The unique name users select this checkpoint store by, e.g. {@code "postgres"}; lower case; never null. */
    String name();

    /** A one-line description for listings; never null. */
    default String description() {
        return name();
    }

    /** The declared settings, with types, defaults, validators, docs and secret flags; never null. */
    ConfigDef configDef();

    /**
     * Creates the checkpoint store from a config already validated against {@link #configDef()}. May connect; a
     * failure to connect is a {@link SyncException} naming the setting (e.g. the URL) involved.
     */
    CheckpointStore create(Config config);
}
