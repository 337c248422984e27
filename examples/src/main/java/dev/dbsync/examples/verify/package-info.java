/** Verification that a target holds the same live rows as its source, through the SPI only. */
package dev.dbsync.examples.verify;
