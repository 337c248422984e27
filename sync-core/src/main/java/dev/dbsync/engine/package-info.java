/**
 * The embeddable sync engine: {@link dev.dbsync.engine.SyncEngine} runs pipelines (a source, a sink, a
 * checkpoint store and a list of {@link dev.dbsync.engine.TableSync tables}), reports what it did in a
 * {@link dev.dbsync.engine.SyncReport}, and finds connectors through {@link dev.dbsync.engine.Connectors}.
 */
package dev.dbsync.engine;
