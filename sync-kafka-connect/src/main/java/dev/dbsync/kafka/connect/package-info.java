/**
 * dbsync on Kafka Connect: {@link dev.dbsync.kafka.connect.DbsyncSourceConnector} runs any dbsync source and
 * {@link dev.dbsync.kafka.connect.DbsyncSinkConnector} any dbsync sink, with Debezium-compatible records between
 * them. The connector and task classes are public because Connect instantiates them; everything else is
 * package-private.
 */
package dev.dbsync.kafka.connect;
