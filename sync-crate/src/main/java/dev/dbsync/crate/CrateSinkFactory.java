package dev.dbsync.crate;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;

/**
 * The {@code crate} sink: keeps CrateDB tables in sync through CrateDB's PostgreSQL wire protocol. Creates
 * missing tables (optionally sharded, partitioned and with a replica count), upserts in bulk requests, deletes
 * by key, reads every row's result of a bulk request and refreshes tables (paced while a run writes, always at
 * its end).
 *
 * <p>Settings: {@code url} ({@code jdbc:postgresql://host:5432/doc} or {@code crate://host[:port]}),
 * {@code user} (default {@code crate}), {@code password} (secret), {@code schema} (default {@code doc}),
 * {@code shards}, {@code replicas}, {@code partition.by} ({@code table=column} entries),
 * {@code refresh.after.flush} (default true), {@code refresh.interval} (default 10s), {@code batch.size} (default
 * 5000), {@code decimal.mapping}
 * ({@code numeric}, {@code text} or {@code double}) and {@code object.policy} (default {@code dynamic}).
 */
public final class CrateSinkFactory implements SinkFactory {

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public CrateSinkFactory() {
    }

    @Override
    public String name() {
        return "crate";
    }

    @Override
    public String description() {
        return "CrateDB sink (PostgreSQL wire protocol): bulk upserts, deletes by key, REFRESH on flush";
    }

    @Override
    public ConfigDef configDef() {
        return CrateSettings.SINK;
    }

    @Override
    public Sink create(Config config) {
        CrateSettings settings = CrateSettings.of(config);
        CrateSink.Connector connector = CrateConnections.connector(settings);
        CrateConnections.check(connector, settings);
        return new CrateSink(settings, connector);
    }
}
