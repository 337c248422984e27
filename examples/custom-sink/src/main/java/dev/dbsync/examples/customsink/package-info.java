/**
 * An example of a sink plugin ({@link dev.dbsync.examples.customsink.JsonLinesSink}) and its factory,
 * registered through {@code META-INF/services/dev.dbsync.spi.SinkFactory}: the starting point for writing a
 * connector of your own.
 */
package dev.dbsync.examples.customsink;
