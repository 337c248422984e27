/**
 * MongoDB connectors of dbsync, all named {@code mongo}: {@link dev.dbsync.mongo.MongoSourceFactory} (snapshots,
 * incremental reads and change streams), {@link dev.dbsync.mongo.MongoSinkFactory} and
 * {@link dev.dbsync.mongo.MongoCheckpointStoreFactory}; their settings in {@link dev.dbsync.mongo.MongoSettings}.
 * Only these, and {@link dev.dbsync.mongo.MongoHistoryLostException}, are public.
 */
package dev.dbsync.mongo;
