package dev.dbsync.spi;

/**
 * Something in the records of a batch cannot be written (a value out of range, a constraint violated). The
 * engine splits the batch to isolate the bad records, writes the good ones and hands each bad one to the
 * dead-letter handler.
 */
public class DataException extends SyncException {

    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(ErrorType.DATA, message);
    }

    public DataException(String message, Throwable cause) {
        super(ErrorType.DATA, message, cause);
    }
}
