/**
 * The service provider interface of dbsync: the record model ({@link dev.dbsync.spi.ChangeEvent},
 * {@link dev.dbsync.spi.TableSchema}, {@link dev.dbsync.spi.Position}), the connector contracts
 * ({@link dev.dbsync.spi.Source}, {@link dev.dbsync.spi.StreamingSource}, {@link dev.dbsync.spi.Sink},
 * {@link dev.dbsync.spi.CheckpointStore}), their ServiceLoader factories and the exception hierarchy.
 *
 * <p>Field values carried by events use exactly these Java types: {@code String}, {@code Integer},
 * {@code Long}, {@code java.math.BigDecimal}, {@code Double}, {@code Boolean}, {@code byte[]},
 * {@code java.util.UUID}, {@code java.time.LocalDate}, {@code java.time.LocalDateTime},
 * {@code java.time.Instant} (or {@code java.time.OffsetDateTime}), and {@code java.util.Map} /
 * {@code java.util.List} of these for documents and JSON. {@code null} is SQL NULL.
 * See {@link dev.dbsync.spi.LogicalType} for the mapping from logical types to Java types.
 */
package dev.dbsync.spi;
