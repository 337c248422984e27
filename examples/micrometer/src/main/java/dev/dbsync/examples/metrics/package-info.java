/** Publishing the engine's figures to Micrometer through a {@link dev.dbsync.engine.SyncListener}. */
package dev.dbsync.examples.metrics;
