/**
 * An example source connector: {@link dev.dbsync.examples.customsource.CsvSource} reads tables from CSV files
 * with a typed header, registered as {@code csv-files} by {@link dev.dbsync.examples.customsource.CsvSourceFactory}.
 * Its tests extend the test kit's {@code SourceContractTest}, as every source's do.
 */
package dev.dbsync.examples.customsource;
