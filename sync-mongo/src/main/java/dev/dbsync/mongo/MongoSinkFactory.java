package dev.dbsync.mongo;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;

/**
 * The MongoDB sink, name {@code mongo}: one collection per table, one document per row with the key as
 * {@code _id}, written with unordered {@code bulkWrite}s of replace-upserts and deletes, versioned by a field
 * ({@code _v}) so an older replay never wins. Settings: {@link MongoSettings#sink()}.
 */
public final class MongoSinkFactory implements SinkFactory {

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public MongoSinkFactory() {
    }

    @Override
    public String name() {
        return "mongo";
    }

    @Override
    public String description() {
        return "MongoDB sink: bulk replace-upserts and deletes by _id, version-guarded";
    }

    @Override
    public ConfigDef configDef() {
        return MongoSettings.sink();
    }

    @Override
    public Sink create(Config config) {
        return new MongoSink(config);
    }
}
