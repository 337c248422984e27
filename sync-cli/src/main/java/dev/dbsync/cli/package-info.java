/** The {@code dbsync} command line: run, validate, verify, connectors, bench, generate and demo, with documented exit codes. */
package dev.dbsync.cli;
