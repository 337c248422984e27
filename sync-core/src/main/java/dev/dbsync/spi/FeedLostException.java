package dev.dbsync.spi;

/**
 * The change feed cannot resume from the saved position: the history behind it is gone (a replication slot
 * dropped, invalidated or recreated; a resume token past the change stream's history). Changes may have gone by
 * unseen, so the engine does not go on from there: by default it snapshots every table of the feed again from a
 * new start (the sink's idempotent writes make that safe); configured to, it fails instead. Thrown by
 * {@link StreamingSource#openStream} or {@link ChangeStream#poll}; the message says what was lost.
 */
public class FeedLostException extends SyncException {

    private static final long serialVersionUID = 1L;

    public FeedLostException(String message) {
        super(ErrorType.EXTERNAL, message);
    }

    public FeedLostException(String message, Throwable cause) {
        super(ErrorType.EXTERNAL, message, cause);
    }
}
