/**
 * Kafka for dbsync: the {@code kafka} sink (Debezium-compatible change events, transactions carrying each batch
 * with its checkpoint), the {@code kafka} source (such topics read back by partition offsets) and the
 * {@code kafka} checkpoint store (a compacted topic with fenced leases). Only the factories and
 * {@link dev.dbsync.kafka.DecimalHandling} are public.
 */
package dev.dbsync.kafka;
