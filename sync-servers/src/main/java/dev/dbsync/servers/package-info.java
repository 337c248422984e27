/**
 * Database servers started on this machine for the demo, benchmarks and tests, with nothing installed but a JDK:
 * {@link dev.dbsync.servers.LocalPostgres} (embedded PostgreSQL 17) and {@link dev.dbsync.servers.LocalClickHouse}
 * (the ClickHouse engine of chdb behind a small HTTP front end). Both hold disposable data and are stopped by
 * {@code close()} or at JVM exit.
 */
package dev.dbsync.servers;
