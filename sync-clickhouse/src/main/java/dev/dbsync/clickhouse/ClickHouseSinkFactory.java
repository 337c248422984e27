package dev.dbsync.clickhouse;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;

/**
 * The ClickHouse sink, named {@code clickhouse}: RowBinary inserts into ReplacingMergeTree(_version, _is_deleted)
 * tables created from the source schema; deletes are rows with {@code _is_deleted = 1} that queries with
 * {@code FINAL} no longer see. Settings: {@link ClickHouseSettings}.
 */
public final class ClickHouseSinkFactory implements SinkFactory {

    @Override
    public String name() {
        return "clickhouse";
    }

    @Override
    public String description() {
        return "ClickHouse: RowBinary inserts into ReplacingMergeTree tables, versioned upserts and deletes";
    }

    @Override
    public ConfigDef configDef() {
        return ClickHouseSettings.SINK;
    }

    @Override
    public Sink create(Config config) {
        return new ClickHouseSink(ClickHouseSettings.of(config));
    }
}
