/**
 * Neo4j connector {@code neo4j}: a sink (rows as nodes with a key constraint, foreign keys as relationships that
 * move with their column, placeholder nodes for rows not synced yet, join tables as relationships with properties,
 * versioned writes, one transaction per batch), a checkpoint store (checkpoint nodes fenced by a renewed lease
 * node, written in the batch's transaction by the sink) and a source (full by key, incremental by a date-time
 * property below a safe bound; no CDC, which is an Enterprise feature). Public: the three factories and
 * {@link dev.dbsync.neo4j.Neo4jSettings}.
 */
package dev.dbsync.neo4j;
