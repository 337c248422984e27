/** The demo: embedded PostgreSQL, generated shop data, full and incremental syncs to every local target, a verified report and chart. */
package dev.dbsync.cli.demo;
