package dev.dbsync.mongo;

import dev.dbsync.spi.FeedLostException;
import dev.dbsync.spi.Position;
import java.util.List;

/**
 * A change stream cannot resume from its saved position because the server no longer has that history (the
 * oplog rolled over it, or the token is unknown: MongoDB error codes 260 InvalidResumeToken, 280
 * ChangeStreamFatalError, 286 ChangeStreamHistoryLost). Changes between that position and now are gone from the
 * feed, so the only correct continuation is a new snapshot of {@link #collections()} from a new stream start: a
 * {@link FeedLostException}, on which the engine snapshots the feed's tables again (or fails, with
 * {@code feed.lost: fail}).
 *
 * <p>It is not a {@link dev.dbsync.spi.RetriableException}: reopening from the same position fails the same way,
 * so retrying it would loop for ever.
 */
public final class MongoHistoryLostException extends FeedLostException {

    private static final long serialVersionUID = 1L;

    private final transient List<String> collections;
    private final transient Position position;
    private final int serverCode;

    MongoHistoryLostException(List<String> collections, Position position, int serverCode, String serverMessage, Throwable cause) {
        super("change stream of collection(s) " + collections + " cannot resume from " + position
                + ": the server no longer holds that history (error " + serverCode + ": " + serverMessage
                + "); the collections must be snapshotted again from a new stream start", cause);
        this.collections = List.copyOf(collections);
        this.position = position;
        this.serverCode = serverCode;
    }

    /** The collections whose changes since {@link #position()} are lost to the feed; never null. */
    public List<String> collections() {
        return collections;
    }

    /** The position the stream could not resume from; may be null. */
    public Position position() {
        return position;
    }

    /** The server's error code (260, 280 or 286). */
    public int serverCode() {
        return serverCode;
    }

    /** Whether a server error code means the resume point is gone. */
    public static boolean isHistoryLost(int code) {
        return code == 260 || code == 280 || code == 286;
    }
}
