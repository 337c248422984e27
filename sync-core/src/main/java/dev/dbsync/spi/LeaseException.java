package dev.dbsync.spi;

/**
 * Another process holds, or took over, the pipeline: {@link CheckpointStore#acquire} refuses a second holder,
 * and a store refuses to save under a lease that is no longer the current one. The message names the pipeline
 * and the holder. Not retried by the engine: the run stops.
 */
public class LeaseException extends SyncException {

    private static final long serialVersionUID = 1L;

    public LeaseException(String message) {
        super(ErrorType.CONFIG, message);
    }

    public LeaseException(String message, Throwable cause) {
        super(ErrorType.CONFIG, message, cause);
    }
}
