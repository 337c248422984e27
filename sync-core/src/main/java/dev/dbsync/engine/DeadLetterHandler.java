package dev.dbsync.engine;

import dev.dbsync.internal.JsonlDeadLetterHandler;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives records the sink rejected. Every record handed here is counted as failed in the report; a
 * handler that throws stops the table. Called from the table's writer thread; handlers shared between
 * tables must be thread-safe (the built-in ones are).
 */
@FunctionalInterface
public interface DeadLetterHandler {

    /** Handles one rejected record, or throws to stop the table. */
    void handle(DeadLetter letter);

    /** The default: the first rejected record fails the table with a message naming table, key and reason. */
    static DeadLetterHandler failFast() {
        return letter -> {
            throw new SyncException(ErrorType.DATA, "table '" + letter.table() + "', key " + letter.event().keyText()
                    + ": record rejected by the sink: " + letter.reason(), letter.cause());
        };
    }

    /** Logs each rejected record and skips it, up to {@code limit} records per handler; then fails. */
    static DeadLetterHandler logAndSkip(long limit) {
        Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);
        AtomicLong count = new AtomicLong();
        return letter -> {
            long n = count.incrementAndGet();
            if (n > limit) {
                throw new SyncException(ErrorType.DATA, "table '" + letter.table() + "', key " + letter.event().keyText()
                        + ": more than " + limit + " rejected records; last reason: " + letter.reason(), letter.cause());
            }
            log.warn("pipeline {}: table '{}', key {}: skipped rejected record ({} of at most {}): {}",
                    letter.pipeline(), letter.table(), letter.event().keyText(), n, limit, letter.reason());
        };
    }

    /**
     * Appends each rejected record as one JSON line (pipeline, table, operation, key, values, reason, time) to
     * {@code file}, flushing every line, up to {@code limit} records; then fails.
     */
    static DeadLetterHandler jsonl(Path file, long limit) {
        return new JsonlDeadLetterHandler(file, limit);
    }
}
