/** Cross-database benchmarks: the same analytical queries in every configured database's dialect, and write speed per sink. */
package dev.dbsync.cli.bench;
