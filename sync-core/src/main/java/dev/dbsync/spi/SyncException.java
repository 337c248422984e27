package dev.dbsync.spi;

import static java.util.Objects.requireNonNull;

/**
 * The root of dbsync's unchecked exceptions. Messages name the setting, table and key involved. An
 * exception of this exact type (not a subtype) is fatal: the engine stops the table it happened in.
 */
public class SyncException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorType type;

    public SyncException(ErrorType type, String message) {
        super(message);
        this.type = requireNonNull(type, "type is null");
    }

    public SyncException(ErrorType type, String message, Throwable cause) {
        super(message, cause);
        this.type = requireNonNull(type, "type is null");
    }

    /** Who has to act; never null. */
    public ErrorType type() {
        return type;
    }
}
