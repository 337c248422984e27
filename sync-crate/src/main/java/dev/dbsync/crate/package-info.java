/**
 * CrateDB connector: {@link dev.dbsync.crate.CrateSinkFactory} and {@link dev.dbsync.crate.CrateSourceFactory},
 * both named {@code crate}, talking to CrateDB through its PostgreSQL wire protocol with the PostgreSQL JDBC
 * driver. Everything else in this package is internal.
 */
package dev.dbsync.crate;
