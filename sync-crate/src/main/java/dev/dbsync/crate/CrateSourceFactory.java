package dev.dbsync.crate;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;

/**
 * The {@code crate} source: reads CrateDB tables in primary-key order (full) or in (cursor, key) order
 * (incremental, with soft deletes, below a safe bound), refreshing each table before reading it.
 *
 * <p>Settings: {@code url}, {@code user} (default {@code crate}), {@code password} (secret), {@code schema}
 * (default {@code doc}), {@code refresh.before.read} (default true), {@code incremental.lag} (default 0s) and
 * {@code incremental.allow.unsafe.cursor} (default false).
 */
public final class CrateSourceFactory implements SourceFactory {

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public CrateSourceFactory() {
    }

    @Override
    public String name() {
        return "crate";
    }

    @Override
    public String description() {
        return "CrateDB source (PostgreSQL wire protocol): keyset snapshots and cursor-based incremental reads";
    }

    @Override
    public ConfigDef configDef() {
        return CrateSettings.SOURCE;
    }

    @Override
    public Source create(Config config) {
        CrateSettings settings = CrateSettings.of(config);
        CrateSink.Connector connector = CrateConnections.connector(settings);
        CrateConnections.check(connector, settings);
        return new CrateSource(settings, connector);
    }
}
