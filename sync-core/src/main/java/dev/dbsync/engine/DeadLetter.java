package dev.dbsync.engine;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.ChangeEvent;

/**
 * A record the sink could not write.
 *
 * @param pipeline the pipeline name
 * @param table    the source table
 * @param event    the rejected change
 * @param reason   what was wrong, naming column or constraint where the sink knows it
 * @param cause    the underlying exception; may be null
 */
public record DeadLetter(String pipeline, String table, ChangeEvent event, String reason, Throwable cause) {
    public DeadLetter {
        requireNonNull(pipeline, "pipeline is null");
        requireNonNull(table, "table is null");
        requireNonNull(event, "event is null");
        requireNonNull(reason, "reason is null");
    }
}
