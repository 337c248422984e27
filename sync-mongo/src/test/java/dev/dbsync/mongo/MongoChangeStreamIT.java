package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeKind;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Change streams against the test server. Where mongo-java-server cannot show a behaviour (no post-batch resume
 * token, database-level streams deliver nothing, a looked-up deleted document comes back as the update's fields)
 * the test runs only against MongoDB and says so; those paths are unit-tested in {@link ChangeEventConversionTest}.
 * The imitation keeps its history for ever, so lost history is injected there ({@link MongoTestServer.FaultInjectingBackend}).
 */
class MongoChangeStreamIT {

    private static MongoTestServer server;
    private static String database;
    private static MongoDatabase db;
    private static MongoSource source;

    @BeforeAll
    static void start() {
        server = MongoTestServer.get();
        database = server.newDatabase();
        db = server.client().getDatabase(database);
        source = (MongoSource) new MongoSourceFactory().create(MongoTestServer.sourceConfig(database, Map.of(MongoSettings.STREAM_MAX_AWAIT, "200ms")));
        System.out.println("MongoChangeStreamIT runs against " + server.kind());
    }

    @AfterAll
    static void stop() {
        source.close();
    }

    /** Polls until {@code done} holds for what was read, or 15 s passed. */
    private static List<ChangeEvent> pollUntil(ChangeStream s, Predicate<List<ChangeEvent>> done) {
        List<ChangeEvent> all = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!done.test(all) && System.nanoTime() < deadline) {
            all.addAll(s.poll(Duration.ofMillis(300)));
        }
        return all;
    }

    private static Map<Object, List<Object>> snapshot(Source s, TableSpec spec, TableSchema schema) {
        Map<Object, List<Object>> rows = new TreeMap<>();
        Position after = null;
        while (true) {
            Chunk c = s.readSnapshot(spec, schema, after, 3);
            c.events().forEach(e -> rows.put(e.key().get(0), e.values()));
            after = c.next();
            if (c.last()) {
                return rows;
            }
        }
    }

    private static void apply(Map<Object, List<Object>> target, List<ChangeEvent> events) {
        for (ChangeEvent e : events) {
            if (e.operation() == Operation.DELETE) {
                target.remove(e.key().get(0));
            } else if (e.operation() == Operation.UPSERT) {
                target.put(e.key().get(0), e.values());
            } else {
                target.clear();
            }
        }
    }

    @Test
    void aStartTakenBeforeTheSnapshotLeavesNoGapAndEventsCarryKindsAndGrowingVersions() {
        MongoCollection<Document> c = db.getCollection("orders");
        for (int i = 1; i <= 5; i++) {
            c.insertOne(new Document("_id", i).append("qty", i).append("lines", List.of(new Document("sku", "s" + i))));
        }
        TableSpec spec = TableSpec.of("orders");
        TableSchema schema = source.describe(spec);
        Position start = source.streamStart(List.of(spec));
        // changes while the snapshot runs
        c.insertOne(new Document("_id", 6).append("qty", 6).append("lines", List.of()));
        Map<Object, List<Object>> target = snapshot(source, spec, schema);
        c.insertOne(new Document("_id", 7).append("qty", 7).append("lines", List.of(new Document("sku", "n"))));
        c.updateOne(Filters.eq("_id", 1), Updates.set("qty", 100));
        c.replaceOne(Filters.eq("_id", 3), new Document("qty", 300).append("lines", List.of(new Document("sku", "r"))));
        c.deleteOne(Filters.eq("_id", 2));
        try (ChangeStream s = source.openStream(List.of(schema), List.of(spec), start)) {
            assertFalse(s.caughtUp(), "nothing was read yet");
            List<ChangeEvent> events = pollUntil(s, l -> l.stream().anyMatch(e -> e.operation() == Operation.DELETE));
            events.addAll(s.poll(Duration.ofMillis(300)));
            assertTrue(s.caughtUp(), "an empty answer after the changes: everything before the open was delivered");
            assertTrue(events.stream().anyMatch(e -> e.key().get(0).equals(6) && e.kind() == ChangeKind.INSERT),
                    "the insert made during the snapshot is in the stream");
            assertTrue(events.stream().anyMatch(e -> e.key().get(0).equals(7) && e.kind() == ChangeKind.INSERT));
            assertTrue(events.stream().anyMatch(e -> e.key().get(0).equals(1) && e.kind() == ChangeKind.UPDATE));
            assertTrue(events.stream().anyMatch(e -> e.key().get(0).equals(3) && e.kind() == ChangeKind.UPDATE),
                    "a replace is an update of the whole document");
            for (int i = 1; i < events.size(); i++) {
                assertTrue(events.get(i).version() > events.get(i - 1).version(), "versions are cluster times and grow: " + events);
                assertEquals(MongoChangeStream.TOKEN, events.get(i).position().get(0), "positions are resume tokens");
            }
            apply(target, events);
            assertEquals(snapshot(source, spec, schema), target, "snapshot + stream = the collection");
        }
    }

    @Test
    void resumingFromAnyEventDeliversTheRestExactlyOnce() {
        MongoCollection<Document> c = db.getCollection("resume");
        c.insertOne(new Document("_id", 0));
        TableSpec spec = TableSpec.of("resume");
        TableSchema schema = source.describe(spec);
        Position start = source.streamStart(List.of(spec));
        for (int i = 1; i <= 12; i++) {
            c.insertOne(new Document("_id", i).append("n", i));
        }
        List<ChangeEvent> all;
        try (ChangeStream s = source.openStream(List.of(schema), List.of(spec), start)) {
            all = pollUntil(s, l -> l.stream().anyMatch(e -> e.key().get(0).equals(12)));
        }
        List<ChangeEvent> inserts = new ArrayList<>();
        all.stream().filter(e -> !e.key().get(0).equals(0)).forEach(inserts::add);
        assertEquals(12, inserts.size());
        for (int i : new int[] {0, 5, 10}) {
            Position from = Position.decode(inserts.get(i).position().encode());
            try (ChangeStream s = source.openStream(List.of(schema), List.of(spec), from)) {
                List<ChangeEvent> rest = pollUntil(s, l -> l.size() >= 11 - i);
                List<Object> keys = new ArrayList<>();
                rest.forEach(e -> keys.add(e.key().get(0)));
                List<Object> expected = new ArrayList<>();
                inserts.subList(i + 1, inserts.size()).forEach(e -> expected.add(e.key().get(0)));
                assertEquals(expected, keys, "resumed after event " + i + " (position survives encode/decode)");
            }
        }
    }

    @Test
    void lostHistoryIsADistinctErrorThatIsNotRetried() {
        db.getCollection("lost").insertOne(new Document("_id", 1));
        TableSpec spec = TableSpec.of("lost");
        TableSchema schema = source.describe(spec);
        // a cluster time of 1970: no oplog reaches back that far (the imitation is told so by fault injection)
        Position ancient = Position.of(MongoChangeStream.TIME, new BsonTimestamp(1_000, 0).getValue());
        MongoHistoryLostException e = assertThrows(MongoHistoryLostException.class, () -> {
            try (ChangeStream s = source.openStream(List.of(schema), List.of(spec), ancient)) {
                s.poll(Duration.ofSeconds(2));
            }
        });
        assertTrue(MongoHistoryLostException.isHistoryLost(e.serverCode()), "code " + e.serverCode());
        assertEquals(List.of("lost"), e.collections());
        assertEquals(ancient, e.position());
        assertFalse(RetriableException.class.isInstance(e), "retrying the same position would fail for ever");
        assertTrue(e.getMessage().contains("snapshotted again"), e.getMessage());
    }

    @Test
    void aStreamStartIsAPositionTheStreamOpensAt() {
        db.getCollection("startpos").insertOne(new Document("_id", 1));
        TableSpec spec = TableSpec.of("startpos");
        Position p = source.streamStart(List.of(spec));
        assertTrue(p.get(0).equals(MongoChangeStream.TOKEN) || p.get(0).equals(MongoChangeStream.TIME), p.toString());
        if (!server.imitation()) {
            assertEquals(MongoChangeStream.TOKEN, p.get(0), "MongoDB gives a post-batch resume token for the start");
        }
        try (ChangeStream s = source.openStream(List.of(source.describe(spec)), List.of(spec), p)) {
            List<ChangeEvent> none = s.poll(Duration.ofMillis(300));
            assertTrue(none.stream().noneMatch(e -> e.key().get(0).equals(2)));
            db.getCollection("startpos").insertOne(new Document("_id", 2));
            assertTrue(pollUntil(s, l -> l.stream().anyMatch(e -> e.key().get(0).equals(2))).stream()
                    .anyMatch(e -> e.key().get(0).equals(2)));
        }
    }

    // ---- MongoDB only: the imitation lacks these behaviours --------------------------------------------------

    @Test
    void emptyPollsAdvanceThePositionPastOtherCollectionsChanges() {
        assumeFalse(server.imitation(), "NOT RUN against mongo-java-server: it sends no post-batch resume token");
        db.getCollection("idle").insertOne(new Document("_id", 1));
        TableSpec spec = TableSpec.of("idle");
        try (MongoChangeStream s = (MongoChangeStream) source.openStream(List.of(source.describe(spec)), List.of(spec),
                source.streamStart(List.of(spec)))) {
            s.poll(Duration.ofMillis(300));
            Position before = s.position();
            for (int i = 0; i < 20; i++) {
                db.getCollection("busy").insertOne(new Document("n", i));
            }
            List<ChangeEvent> none = s.poll(Duration.ofSeconds(2));
            assertTrue(none.isEmpty());
            assertNotEquals(before, s.position(), "an idle collection's stream moves with the cluster");
        }
    }

    @Test
    void anUpdateWhoseDocumentWasDeletedBeforeTheLookupIsADelete() {
        assumeFalse(server.imitation(), "NOT RUN against mongo-java-server: its lookup of a deleted document returns the update's"
                + " fields instead of null (unit-tested in ChangeEventConversionTest)");
        MongoCollection<Document> c = db.getCollection("gone");
        c.insertOne(new Document("_id", 1).append("n", 1));
        TableSpec spec = TableSpec.of("gone");
        TableSchema schema = source.describe(spec);
        Position start = source.streamStart(List.of(spec));
        c.updateOne(Filters.eq("_id", 1), Updates.set("n", 2));
        c.deleteOne(Filters.eq("_id", 1));
        try (ChangeStream s = source.openStream(List.of(schema), List.of(spec), start)) {
            List<ChangeEvent> events = pollUntil(s, l -> l.size() >= 2);
            assertEquals(List.of(Operation.DELETE, Operation.DELETE), List.of(events.get(0).operation(), events.get(1).operation()));
        }
    }

    @Test
    void aDatabaseLevelStreamFollowsSeveralCollections() {
        assumeFalse(server.imitation(), "NOT RUN against mongo-java-server: its database-level change streams deliver nothing");
        db.getCollection("a").insertOne(new Document("_id", 0));
        db.getCollection("b").insertOne(new Document("_id", 0));
        List<TableSpec> specs = List.of(TableSpec.of("a"), TableSpec.of("b"));
        List<TableSchema> schemas = List.of(source.describe(specs.get(0)), source.describe(specs.get(1)));
        Position start = ((StreamingSource) source).streamStart(specs);
        db.getCollection("a").insertOne(new Document("_id", 1));
        db.getCollection("not_synced").insertOne(new Document("_id", 1));
        db.getCollection("b").insertOne(new Document("_id", 1));
        try (ChangeStream s = source.openStream(schemas, specs, start)) {
            List<ChangeEvent> events = pollUntil(s, l -> l.size() >= 2);
            assertEquals(List.of("a", "b"), List.of(events.get(0).table(), events.get(1).table()));
            assertTrue(s.poll(Duration.ofMillis(500)).isEmpty(), "other collections are not delivered");
        }
    }
}
