/**
 * Verification that a target holds the same live rows as its source, read through connectors on both sides
 * and compared through what the target can hold.
 *
 * <p>{@link dev.dbsync.verify.Verifier} is built once (a source, a reader of the target, the
 * {@link dev.dbsync.spi.Sink} that wrote it, the tables) and can be run again, e.g. on a schedule by a service
 * that embeds the engine; each run returns a {@link dev.dbsync.verify.VerifyReport} with one
 * {@link dev.dbsync.verify.TableVerification} per table: live row counts, the chunks whose checksums differ,
 * and the differing keys, bounded in number.
 */
package dev.dbsync.verify;
