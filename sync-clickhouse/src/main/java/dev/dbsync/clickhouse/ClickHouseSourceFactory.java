package dev.dbsync.clickhouse;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;

/**
 * The ClickHouse source, named {@code clickhouse}: keyset snapshots with FINAL and incremental reads by
 * (cursor, key). Settings: {@link ClickHouseSettings}.
 */
public final class ClickHouseSourceFactory implements SourceFactory {

    @Override
    public String name() {
        return "clickhouse";
    }

    @Override
    public String description() {
        return "ClickHouse: keyset snapshots (FINAL) and incremental reads by cursor";
    }

    @Override
    public ConfigDef configDef() {
        return ClickHouseSettings.SOURCE;
    }

    @Override
    public Source create(Config config) {
        return new ClickHouseSource(ClickHouseSettings.of(config));
    }
}
