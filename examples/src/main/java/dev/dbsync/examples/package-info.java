/**
 * Runnable examples of dbsync: the demo, the data generators and the benchmarks.
 */
package dev.dbsync.examples;
