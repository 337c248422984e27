/** dbsync embedded in a plain {@code main}: one sync run from cron, then a verification of the target. */
package dev.dbsync.examples.embedded;
