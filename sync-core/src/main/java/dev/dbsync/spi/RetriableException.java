package dev.dbsync.spi;

/**
 * A transient failure (lost connection, timeout, server overloaded): the engine retries the same operation
 * with exponential backoff and jitter, a bounded number of times, and then fails the table.
 */
public class RetriableException extends SyncException {

    private static final long serialVersionUID = 1L;

    public RetriableException(String message) {
        super(ErrorType.EXTERNAL, message);
    }

    public RetriableException(String message, Throwable cause) {
        super(ErrorType.EXTERNAL, message, cause);
    }
}
