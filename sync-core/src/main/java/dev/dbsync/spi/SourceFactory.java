package dev.dbsync.spi;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;

/**
 * Creates a {@link Source} by name; found through {@link java.util.ServiceLoader}. Register an
 * implementation in {@code META-INF/services/dev.dbsync.spi.SourceFactory}. Implementations need a public
 * no-argument constructor and must be cheap to construct (no connections before {@link #create}).
 */
public interface SourceFactory {

    /** The unique name users select this source by, e.g. {@code "postgres"}; lower case; never null. */
    String name();

    /** A one-line description for listings; never null. */
    default String description() {
        return name();
    }

    /**
     * Whether the sources it creates offer a change feed ({@link StreamingSource}), so the CDC strategy can be
     * validated before anything connects. Default false.
     */
    default boolean offersChangeFeed() {
        return false;
    }

    /** The declared settings, with types, defaults, validators, docs and secret flags; never null. */
    ConfigDef configDef();

    /**
     * Creates the source from a config already validated against {@link #configDef()}. May connect; a
     * failure to connect is a {@link SyncException} naming the setting (e.g. the URL) involved.
     */
    Source create(Config config);
}
