package dev.dbsync.spi;

import java.util.Optional;
import java.util.Set;

/**
 * A target database. It hands out one {@link TableWriter} per target table; writers do the work. Writes are
 * idempotent: writing the same batch twice leaves the same target as writing it once, which together with
 * at-least-once delivery gives exactly-once results.
 *
 * <p>Lifecycle, in order:
 * <ol>
 *   <li>a {@link SinkFactory} creates the sink from a validated config;</li>
 *   <li>{@link #open(TableSchema)} once per target table and run: create the table if it is missing and
 *       {@link SinkCapability#AUTO_CREATE} is offered, otherwise check it fits; returns the table's writer;</li>
 *   <li>the writers are used and closed (see {@link TableWriter});</li>
 *   <li>{@link #close()} once, after every writer it handed out was closed.</li>
 * </ol>
 *
 * <p>Threading: {@link #open} may be called from several threads at once (one per table).
 *
 * <p>Types: events only carry values of the types in {@link #supportedTypes()}. A column of a type the sink
 * does not list reaches it as that type's {@link LogicalType#fallback() fallback} (e.g. {@link LogicalType#TIME}
 * as its ISO-8601 text), converted by the engine, so adding a logical type never breaks an existing sink.
 */
public interface Sink extends AutoCloseable {

    /** What this sink can do; never null. The contract test suites test exactly these. */
    Set<SinkCapability> capabilities();

    /**
     * The logical types this sink writes natively; never null. The default is {@link LogicalType#CORE}, the
     * types every sink handles; a sink that handles a newer type adds it.
     */
    default Set<LogicalType> supportedTypes() {
        return LogicalType.CORE;
    }

    /**
     * Declares the sink's value ranges: why it cannot store {@code value} in a column like {@code column}
     * (e.g. a BIGINT range narrower than Java's {@code long}), or null when it can. A writer given such a value
     * fails that row alone with this reason ({@link WriteResult#failed()}) rather than storing something else;
     * the contract suites expect exactly that for the values declared here. The default: every value of the
     * column's logical type fits.
     */
    default String refuses(Column column, Object value) {
        return null;
    }

    /**
     * How this sink stores {@code value} of a column like {@code column}, in the form the same database's source
     * connector reads it back: its documented mapping (e.g. timestamps cut to milliseconds, a DATE kept as the
     * timestamp at midnight, a NULL array stored empty). Verification compares source and target through it, and
     * the contract suites expect it. Called only for values {@link #refuses} accepts. The default: stored as
     * given.
     */
    default Object storedForm(Column column, Object value) {
        return value;
    }

    /**
     * Prepares the target table for {@code schema} (create or validate) and returns its writer; never null.
     * Idempotent: opening a table again (a later run) gives a new writer over the same table.
     */
    TableWriter open(TableSchema schema);

    /**
     * A checkpoint store kept in the target, so positions live beside the data (offered with
     * {@link SinkCapability#CHECKPOINT_STORE}); empty by default. A sink that offers one writes the
     * {@link Batch#checkpoint()} of a batch in the same transaction as its rows. Return the same instance on
     * every call: the engine hands batches their checkpoint only when the pipeline's store is this instance.
     */
    default Optional<CheckpointStore> checkpointStore() {
        return Optional.empty();
    }

    /** Releases connections; called once, after every writer was closed. */
    @Override
    void close();
}
