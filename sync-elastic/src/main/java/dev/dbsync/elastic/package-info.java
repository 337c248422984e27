/**
 * Elasticsearch connector: {@link dev.dbsync.elastic.ElasticSinkFactory sink},
 * {@link dev.dbsync.elastic.ElasticSourceFactory source} and
 * {@link dev.dbsync.elastic.ElasticCheckpointStoreFactory checkpoint store}, all named {@code elasticsearch}, with
 * their settings in {@link dev.dbsync.elastic.ElasticSettings}.
 */
package dev.dbsync.elastic;
