/**
 * PostgreSQL connector {@code postgres}: a source (binary COPY snapshots, incremental reads below a late-commit safe
 * bound, logical replication with pgoutput) and a sink (COPY into staging, upsert and delete in one transaction,
 * optional checkpoint in the target). Public: the two factories.
 */
package dev.dbsync.postgres;
