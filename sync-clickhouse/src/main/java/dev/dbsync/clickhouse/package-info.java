/**
 * ClickHouse connector {@code clickhouse}: a RowBinary sink into ReplacingMergeTree(_version, _is_deleted) tables, a
 * checkpoint store in {@code sync_control}, and a source reading with FINAL. Public: the three factories.
 */
package dev.dbsync.clickhouse;
