/**
 * dbsync's core: the connector SPI ({@code dev.dbsync.spi}), configuration ({@code dev.dbsync.config}), the
 * engine ({@code dev.dbsync.engine}) and verification ({@code dev.dbsync.verify}). Everything else is internal
 * and not exported.
 */
module dev.dbsync.core {
    requires java.management;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;

    exports dev.dbsync.spi;
    exports dev.dbsync.config;
    exports dev.dbsync.engine;
    exports dev.dbsync.verify;

    uses dev.dbsync.spi.SourceFactory;
    uses dev.dbsync.spi.SinkFactory;
    uses dev.dbsync.spi.CheckpointStoreFactory;

    provides dev.dbsync.spi.CheckpointStoreFactory with
            dev.dbsync.internal.BuiltInCheckpointStores.FileFactory,
            dev.dbsync.internal.BuiltInCheckpointStores.MemoryFactory;
}
