/**
 * Implementation of the engine, the built-in checkpoint stores and codecs. Not API: classes here may change in
 * any release; use {@link dev.dbsync.engine}, {@link dev.dbsync.spi} and {@link dev.dbsync.config}.
 */
package dev.dbsync.internal;
