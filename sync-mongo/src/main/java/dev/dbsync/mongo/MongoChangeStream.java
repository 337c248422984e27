package dev.dbsync.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.ChangeStreamIterable;
import com.mongodb.client.ClientSession;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.FullDocument;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MongoDB change stream as a dbsync {@link ChangeStream}.
 *
 * <p>Positions are resume tokens ({@code ("token", <canonical Extended JSON>)}), or, where a server offers no
 * token for "now", a cluster time to start at ({@code ("time", <timestamp value>)}, inclusive, so at most a few
 * changes are delivered twice; writes are idempotent). Every poll moves {@link #position()} to the stream's
 * latest resume token, the post-batch resume token of an empty getMore included, so the stream never sits on a
 * token that an idle collection lets age out of the oplog.
 *
 * <p>Each event's version is its cluster time ({@link BsonTimestamp#getValue()}: seconds and increment), which
 * grows in the order changes were committed. An update whose current document is gone by the time it is looked
 * up (a later delete) is read as a delete by its {@code documentKey}: the delete follows anyway.
 */
final class MongoChangeStream implements ChangeStream {

    private static final Logger LOG = LoggerFactory.getLogger(MongoChangeStream.class);

    static final String TOKEN = "token";
    static final String TIME = "time";
    private static final int MAX_EVENTS_PER_POLL = 5_000;

    private final MongoSource source;
    private final Map<String, DocumentLayout> layouts = new LinkedHashMap<>();
    private final List<String> names = new ArrayList<>();
    private final boolean collectionScope;
    private MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor;
    private Position position;
    private boolean splitSupported;
    private Fragments pending;
    private SyncException deferred;
    /** An empty getMore was answered since the stream opened: everything committed before the open was delivered. */
    private boolean caughtUp;

    /** A stream over these tables; {@code source} may be null for converting events alone (unit tests). */
    MongoChangeStream(MongoSource source, List<DocumentLayout> tables, Position from, boolean collectionScope, boolean split) {
        this.source = source;
        for (DocumentLayout l : tables) {
            layouts.put(l.collection, l);
            names.add(l.collection);
        }
        this.collectionScope = collectionScope;
        this.position = from;
        this.splitSupported = split;
    }

    /** The position from which a stream opened later delivers every change committed after this call. */
    static Position start(MongoSource source, List<String> collections) {
        boolean collScope = source.collectionScope(collections.size());
        try (MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> c = iterable(source, collections, collScope, false).cursor()) {
            // MongoDB answers the opening aggregate with a post-batch resume token standing for "now"
            BsonDocument token = c.getResumeToken();
            if (token != null) {
                return Position.of(TOKEN, BsonValues.canonical(token));
            }
        } catch (MongoException e) {
            throw MongoConnections.wrap("change stream of " + collections + ": taking the start position", e);
        }
        BsonTimestamp t = operationTime(source);
        LOG.info("change stream of {}: the server gave no resume token for its start; starting at cluster time {}", collections, t);
        return Position.of(TIME, t.getValue());
    }

    /**
     * The cluster time of a command just run (a replica set reports it), or, from servers without one, the
     * server's clock less a second: starting there delivers again at most a second of changes.
     */
    private static BsonTimestamp operationTime(MongoSource source) {
        try (ClientSession s = sourceSession(source)) {
            if (s != null) {
                source.database().runCommand(s, new Document("ping", 1));
                if (s.getOperationTime() != null) {
                    return s.getOperationTime();
                }
            }
        } catch (MongoException e) {
            LOG.debug("no operation time from the server: {}", e.toString());
        }
        Instant now = MongoConnections.serverTime(source.database()).minusSeconds(1);
        return new BsonTimestamp((int) now.getEpochSecond(), 0);
    }

    private static ClientSession sourceSession(MongoSource source) {
        try {
            return source.client().startSession();
        } catch (MongoException | UnsupportedOperationException e) {
            return null;
        }
    }

    static MongoChangeStream open(MongoSource source, List<DocumentLayout> tables, Position from) {
        MongoChangeStream s = new MongoChangeStream(source, tables, from, source.collectionScope(tables.size()), source.splitLargeEvents());
        s.openCursor();
        return s;
    }

    private static ChangeStreamIterable<BsonDocument> iterable(MongoSource source, List<String> collections, boolean collScope,
                                                              boolean split) {
        List<Bson> pipeline = new ArrayList<>();
        if (!collScope) {
            pipeline.add(new Document("$match", new Document("ns.coll", new Document("$in", collections))));
        }
        if (split) {
            // must be the last stage; MongoDB 7.0 and 6.0.9+
            pipeline.add(new Document("$changeStreamSplitLargeEvent", new Document()));
        }
        ChangeStreamIterable<BsonDocument> it = collScope
                ? source.database().getCollection(collections.get(0), BsonDocument.class).watch(pipeline, BsonDocument.class)
                : source.database().watch(pipeline, BsonDocument.class);
        return it.fullDocument(FullDocument.UPDATE_LOOKUP).maxAwaitTime(source.maxAwait().toMillis(), TimeUnit.MILLISECONDS)
                .batchSize(1_000);
    }

    private void openCursor() {
        while (true) {
            ChangeStreamIterable<BsonDocument> it = iterable(source, names, collectionScope, splitSupported);
            if (position != null && TOKEN.equals(position.get(0))) {
                it = it.resumeAfter(BsonDocument.parse((String) position.get(1)));
            } else if (position != null && TIME.equals(position.get(0))) {
                it = it.startAtOperationTime(new BsonTimestamp((Long) position.get(1)));
            } else if (position != null) {
                throw new SyncException(ErrorType.INTERNAL, "change stream of " + names + ": " + position + " is not a change stream position");
            }
            try {
                cursor = it.cursor();
                return;
            } catch (MongoCommandException e) {
                if (splitSupported && unknownStage(e)) {
                    LOG.warn("change stream of {}: the server has no $changeStreamSplitLargeEvent (MongoDB 7.0 / 6.0.9); events"
                            + " above 16 MB will fail with an error naming their collection and key", names);
                    splitSupported = false;
                    continue;
                }
                throw failure("opening", e);
            } catch (MongoException e) {
                throw failure("opening", e);
            }
        }
    }

    private static boolean unknownStage(MongoCommandException e) {
        return e.getErrorCode() == 40324 || e.getErrorCode() == 40573
                || String.valueOf(e.getErrorMessage()).contains("$changeStreamSplitLargeEvent");
    }

    private RuntimeException failure(String what, MongoException e) {
        if (MongoHistoryLostException.isHistoryLost(e.getCode())) {
            String msg = e instanceof MongoCommandException ? ((MongoCommandException) e).getErrorMessage() : e.getMessage();
            return new MongoHistoryLostException(names, position, e.getCode(), msg, e);
        }
        if (e.getCode() == 10334 || e.getCode() == 17419 || String.valueOf(e.getMessage()).contains("BSONObjectTooLarge")) {
            return new SyncException(ErrorType.DATA, tooLarge(), e);
        }
        return MongoConnections.wrap("change stream of " + names + ": " + what, e);
    }

    /** Names the collection and key of an event too large to deliver, found again without its documents. */
    private String tooLarge() {
        String where = "a change event of " + names;
        if (position != null && TOKEN.equals(position.get(0))) {
            List<Bson> pipeline = new ArrayList<>();
            if (!collectionScope) {
                pipeline.add(new Document("$match", new Document("ns.coll", new Document("$in", names))));
            }
            pipeline.add(new Document("$project", new Document("fullDocument", 0).append("fullDocumentBeforeChange", 0)
                    .append("updateDescription", 0)));
            try (MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> c = (collectionScope
                    ? source.database().getCollection(names.get(0), BsonDocument.class).watch(pipeline, BsonDocument.class)
                    : source.database().watch(pipeline, BsonDocument.class))
                    .resumeAfter(BsonDocument.parse((String) position.get(1))).cursor()) {
                ChangeStreamDocument<BsonDocument> e = c.tryNext();
                if (e != null) {
                    where = "the " + e.getOperationTypeString() + " event of collection '" + table(e) + "' with key "
                            + (e.getDocumentKey() == null ? "(unknown)" : e.getDocumentKey().toJson());
                }
            } catch (MongoException ignored) {
                // the plain message below still names the collections and position
            }
        }
        return where + " after " + position + " exceeds MongoDB's 16 MB document limit and this server cannot split it"
                + " ($changeStreamSplitLargeEvent needs MongoDB 7.0 or 6.0.9); shrink the document or upgrade the server";
    }

    /** The stream's current position: the token after the last event or empty getMore. */
    Position position() {
        return position;
    }

    /** The post-batch resume token of the last empty getMore (none while a split event is half read). */
    @Override
    public Position idlePosition() {
        return pending == null ? position : null;
    }

    @Override
    public List<ChangeEvent> poll(Duration timeout) {
        if (deferred != null) {
            throw deferred;
        }
        if (cursor == null) {
            openCursor();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ChangeEvent> out = new ArrayList<>();
        while (out.size() < MAX_EVENTS_PER_POLL) {
            long t0 = System.nanoTime();
            ChangeStreamDocument<BsonDocument> e;
            try {
                e = cursor.tryNext();
            } catch (MongoException ex) {
                closeCursor();
                RuntimeException f = failure("reading", ex);
                if (!out.isEmpty() && !(f instanceof RetriableException)) {
                    // deliver what was read; the failure comes with the next poll
                    deferred = f instanceof SyncException ? (SyncException) f : new SyncException(ErrorType.EXTERNAL, f.getMessage(), f);
                    return out;
                }
                throw f;
            }
            if (e == null) {
                BsonDocument token = cursor.getResumeToken();
                if (pending == null) {
                    // a getMore that returns nothing stands at the end of the history as of its own start, which lies
                    // after the stream was opened
                    caughtUp = true;
                    if (token != null) {
                        position = Position.of(TOKEN, BsonValues.canonical(token));
                    }
                }
                long now = System.nanoTime();
                if (!out.isEmpty() || now >= deadline) {
                    break;
                }
                if (now - t0 < source.maxAwait().toNanos() / 2) {
                    // the server answered at once instead of awaiting changes: don't spin
                    sleepNanos(Math.min(deadline - now, TimeUnit.MILLISECONDS.toNanos(20)));
                }
                continue;
            }
            try {
                if (!handle(e, out)) {
                    break;
                }
            } catch (SyncException ex) {
                if (out.isEmpty()) {
                    throw ex;
                }
                deferred = ex;
                break;
            }
        }
        return out;
    }

    /** Converts one event (or fragment) into {@code out}; false when the stream ended (invalidated). */
    boolean handle(ChangeStreamDocument<BsonDocument> e, List<ChangeEvent> out) {
        if (e.getSplitEvent() != null) {
            if (pending == null) {
                pending = new Fragments();
            }
            pending.add(e);
            if (e.getSplitEvent().getFragment() < e.getSplitEvent().getOf()) {
                return true;
            }
            Fragments f = pending;
            pending = null;
            return convert(f.operationType, f.table, f.documentKey, f.fullDocument, f.clusterTime, e.getResumeToken(), out);
        }
        return convert(e.getOperationTypeString(), table(e), e.getDocumentKey(), e.getFullDocument(), e.getClusterTime(),
                e.getResumeToken(), out);
    }

    private String table(ChangeStreamDocument<BsonDocument> e) {
        if (e.getNamespace() != null && e.getNamespace().getCollectionName() != null) {
            return e.getNamespace().getCollectionName();
        }
        BsonDocument ns = e.getNamespaceDocument();
        if (ns != null && ns.isString("coll")) {
            return ns.getString("coll").getValue();
        }
        return collectionScope ? names.get(0) : null;
    }

    private boolean convert(String op, String table, BsonDocument documentKey, BsonDocument full, BsonTimestamp clusterTime,
                            BsonDocument token, List<ChangeEvent> out) {
        Position pos = Position.of(TOKEN, BsonValues.canonical(token));
        position = pos;
        long version = clusterTime == null ? 0 : clusterTime.getValue();
        if (op == null) {
            return true;
        }
        switch (op) {
            case "insert":
            case "update":
            case "replace":
            case "delete": {
                DocumentLayout l = table == null ? null : layouts.get(table);
                if (l == null) {
                    return true;
                }
                BsonValue id = documentKey == null ? null : documentKey.get("_id");
                if (id == null && full != null) {
                    id = full.get("_id");
                }
                if (id == null) {
                    throw new SyncException(ErrorType.EXTERNAL, "collection '" + table + "': a " + op + " change event at " + pos
                            + " carries no _id in its documentKey " + (documentKey == null ? "" : documentKey.toJson()));
                }
                Object[] key = l.key(id);
                if (op.equals("delete") || full == null) {
                    // an update looked up after a later delete finds nothing: that delete follows, apply it now
                    out.add(ChangeEvent.delete(table, key, null, version, pos));
                } else if (op.equals("insert")) {
                    out.add(ChangeEvent.insert(table, key, l.values(full, key), version, pos));
                } else {
                    out.add(ChangeEvent.update(table, key, l.values(full, key), null, version, pos));
                }
                return true;
            }
            case "drop":
            case "rename":
                if (table != null && layouts.containsKey(table)) {
                    out.add(ChangeEvent.truncate(table, version, pos));
                }
                return true;
            case "dropDatabase":
                for (String t : names) {
                    out.add(ChangeEvent.truncate(t, version, pos));
                }
                return true;
            case "invalidate":
                closeCursor();
                caughtUp = true;
                deferred = new SyncException(ErrorType.EXTERNAL, "the change stream of collection(s) " + names + " was invalidated"
                        + " (collection dropped or renamed) at " + pos + "; snapshot the tables again");
                if (out.isEmpty()) {
                    throw deferred;
                }
                return false;
            default:
                // DDL and other events change no document
                return true;
        }
    }

    /**
     * True once a getMore came back empty after the open: MongoDB answers a change stream's getMore with every event
     * up to its post-batch resume token, so an empty answer means everything committed before it was delivered.
     */
    @Override
    public boolean caughtUp() {
        return caughtUp;
    }

    @Override
    public void acknowledge(Position flushed) {
        // MongoDB keeps no state per consumer: nothing to release
    }

    private void closeCursor() {
        if (cursor != null) {
            try {
                cursor.close();
            } catch (MongoException e) {
                LOG.debug("closing change stream cursor: {}", e.toString());
            }
            cursor = null;
        }
    }

    @Override
    public void close() {
        closeCursor();
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(Math.max(0, nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted while polling the change stream", e);
        }
    }

    /** The fragments of one split event, merged field by field. */
    private final class Fragments {
        String operationType;
        String table;
        BsonDocument documentKey;
        BsonDocument fullDocument;
        BsonTimestamp clusterTime;

        void add(ChangeStreamDocument<BsonDocument> e) {
            operationType = operationType != null ? operationType : e.getOperationTypeString();
            table = table != null ? table : table(e);
            documentKey = documentKey != null ? documentKey : e.getDocumentKey();
            fullDocument = fullDocument != null ? fullDocument : e.getFullDocument();
            clusterTime = clusterTime != null ? clusterTime : e.getClusterTime();
        }
    }
}
