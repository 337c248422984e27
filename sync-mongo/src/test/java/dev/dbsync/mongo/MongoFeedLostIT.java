package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import dev.dbsync.engine.RetryPolicy;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.FeedLostException;
import dev.dbsync.spi.TableSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * A change stream whose saved resume token fell out of the server's history: the source raises a
 * {@link FeedLostException}, and the engine either snapshots the feed's tables again from a new start (default) or
 * fails the run. The history loss is injected into mongo-java-server (MongoDB's oplog cannot be cut short by a
 * test), so this runs only against the imitation and says so against MongoDB.
 */
class MongoFeedLostIT {

    @Test
    void lostHistoryIsSnapshottedAgainOrFailsAsConfigured() throws Exception {
        MongoTestServer server = MongoTestServer.get();
        System.out.println("MongoFeedLostIT runs against " + server.kind());
        assumeTrue(server.imitation(), "NOT RUN against MongoDB: a test cannot cut its oplog short; the injected loss needs the imitation");
        assertTrue(FeedLostException.class.isAssignableFrom(MongoHistoryLostException.class));
        String from = server.newDatabase();
        String to = server.newDatabase();
        MongoCollection<Document> items = server.client().getDatabase(from).getCollection("items");
        List<Document> docs = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            docs.add(new Document("_id", i).append("n", i));
        }
        items.insertMany(docs);
        try {
            assertTrue(run(from, to, true).succeeded());
            items.insertOne(new Document("_id", 51).append("n", 51));
            assertTrue(run(from, to, true).succeeded(), "the feed position now stands after the insert of 51");
            // changes the feed will never see: history before now is lost
            items.deleteMany(Filters.lte("_id", 5));
            items.insertOne(new Document("_id", 52).append("n", 52));
            Thread.sleep(1_100);
            MongoTestServer.FaultInjectingBackend.loseHistoryBefore(System.currentTimeMillis() / 1000);
            Thread.sleep(2_100);

            SyncReport failed = run(from, to, false);
            assertFalse(failed.succeeded(), "feed.lost: fail stops the run");
            assertTrue(failed.toText().contains("no longer holds that history"), failed.toText());

            SyncReport again = run(from, to, true);
            assertTrue(again.succeeded(), again.toText());
            assertTrue(again.table("items").snapshot(), "the table was snapshotted again: " + again.toText());
            assertEquals(ids(items), ids(server.client().getDatabase(to).getCollection("items")),
                    "deletes lost with the history are gone from the target too");
        } finally {
            MongoTestServer.FaultInjectingBackend.restoreHistory();
        }
    }

    private static Set<Object> ids(MongoCollection<Document> c) {
        Set<Object> out = new TreeSet<>();
        c.find().forEach(d -> out.add(d.get("_id")));
        return out;
    }

    private static SyncReport run(String from, String to, boolean resnapshot) {
        try (SyncEngine engine = SyncEngine.builder().pipeline("feed-lost")
                .source(new MongoSourceFactory().create(MongoTestServer.sourceConfig(from, Map.of(MongoSettings.STREAM_MAX_AWAIT, "200ms"))))
                .sink(new MongoSinkFactory().create(MongoTestServer.sinkConfig(to, Map.of())))
                .checkpointStore(new MongoCheckpointStoreFactory().create(MongoTestServer.storeConfig(to, Map.of(MongoSettings.LEASE_TTL, "2s"))))
                .table(TableSync.cdc(TableSpec.of("items"))).streamIdle(Duration.ofMillis(1000)).retryPolicy(RetryPolicy.none())
                .resnapshotWhenFeedLost(resnapshot).build()) {
            SyncReport r = engine.runOnce();
            System.out.println(r.toText());
            return r;
        }
    }
}
