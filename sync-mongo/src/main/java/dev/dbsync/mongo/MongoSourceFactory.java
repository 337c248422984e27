package dev.dbsync.mongo;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;

/**
 * The MongoDB source, name {@code mongo}: collections as tables keyed by {@code _id}, keyset snapshots,
 * incremental reads by a date field tie-broken by {@code _id}, and change streams (the created source is also a
 * {@link dev.dbsync.spi.StreamingSource}). Settings: {@link MongoSettings#source()}. A change stream that cannot
 * resume because the server lost its history fails with {@link MongoHistoryLostException}.
 */
public final class MongoSourceFactory implements SourceFactory {

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public MongoSourceFactory() {
    }

    @Override
    public String name() {
        return "mongo";
    }

    @Override
    public String description() {
        return "MongoDB source: keyset snapshots on _id, incremental reads by a date field, change streams";
    }

    @Override
    public ConfigDef configDef() {
        return MongoSettings.source();
    }

    @Override
    public Source create(Config config) {
        return new MongoSource(config);
    }
}
