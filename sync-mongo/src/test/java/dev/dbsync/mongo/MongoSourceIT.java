package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoDatabase;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.bson.Document;
import org.bson.UuidRepresentation;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Snapshots and incremental reads against the test server (MongoDB, or the imitation: the output says which). */
class MongoSourceIT {

    private static MongoTestServer server;
    private static String database;
    private static MongoDatabase db;
    private static Source source;

    @BeforeAll
    static void start() {
        server = MongoTestServer.get();
        database = server.newDatabase();
        db = server.client().getDatabase(database);
        source = new MongoSourceFactory().create(MongoTestServer.sourceConfig(database, Map.of()));
        System.out.println("MongoSourceIT runs against " + server.kind());
    }

    @AfterAll
    static void stop() {
        source.close();
    }

    private static List<ChangeEvent> readAll(Source s, TableSpec spec, TableSchema schema, int chunk) {
        List<ChangeEvent> all = new ArrayList<>();
        Position after = null;
        for (int guard = 0; guard < 10_000; guard++) {
            Chunk c = s.readSnapshot(spec, schema, after, chunk);
            all.addAll(c.events());
            after = c.next();
            if (c.last()) {
                return all;
            }
        }
        throw new AssertionError("snapshot never ended");
    }

    @Test
    void sampledColumnsCarryEveryBsonTypeExactly() {
        UUID u = UUID.randomUUID();
        ObjectId oid = new ObjectId();
        Date at = new Date(1_700_000_000_123L);
        db.getCollection("typed").insertOne(new Document("_id", oid).append("name", "a").append("qty", 3).append("big", 1L << 40)
                .append("price", new Decimal128(new BigDecimal("19.99"))).append("ratio", 0.5).append("ok", true).append("at", at)
                .append("uid", new Binary((byte) 4, uuidBytes(u))).append("raw", new Binary(new byte[] {1, 2}))
                .append("address", new Document("city", "Zürich").append("zip", 8001)).append("tags", List.of("x", "y"))
                .append("items", List.of(new Document("sku", "s1").append("n", 2))).append("mixed", "text"));
        db.getCollection("typed").insertOne(new Document("_id", new ObjectId()).append("mixed", 5).append("qty", null));
        TableSchema schema = source.describe(TableSpec.of("typed"));
        assertEquals(List.of("_id"), schema.primaryKey());
        Map<String, LogicalType> expected = Map.ofEntries(Map.entry("_id", LogicalType.STRING), Map.entry("name", LogicalType.STRING),
                Map.entry("qty", LogicalType.INT32), Map.entry("big", LogicalType.INT64), Map.entry("price", LogicalType.DECIMAL),
                Map.entry("ratio", LogicalType.FLOAT64), Map.entry("ok", LogicalType.BOOLEAN), Map.entry("at", LogicalType.TIMESTAMP_TZ),
                Map.entry("uid", LogicalType.UUID), Map.entry("raw", LogicalType.BYTES), Map.entry("address", LogicalType.JSON),
                Map.entry("tags", LogicalType.ARRAY), Map.entry("items", LogicalType.JSON), Map.entry("mixed", LogicalType.JSON));
        for (Column c : schema.columns()) {
            assertEquals(expected.get(c.name()), c.type(), c.name());
        }
        assertEquals(expected.size(), schema.columns().size());
        assertEquals("objectId", schema.column("_id").sourceType());
        List<ChangeEvent> rows = readAll(source, TableSpec.of("typed"), schema, 10);
        ChangeEvent first = rows.stream().filter(e -> e.key().get(0).equals(oid.toHexString())).findFirst().orElseThrow();
        Map<String, Object> v = new java.util.HashMap<>();
        for (int i = 0; i < schema.columns().size(); i++) {
            v.put(schema.columns().get(i).name(), first.values().get(i));
        }
        assertEquals(new BigDecimal("19.99"), v.get("price"));
        assertEquals(Instant.ofEpochMilli(1_700_000_000_123L), v.get("at"));
        assertEquals(u, v.get("uid"));
        assertEquals(Map.of("city", "Zürich", "zip", 8001), v.get("address"));
        assertEquals(List.of("x", "y"), v.get("tags"));
        assertEquals(List.of(Map.of("sku", "s1", "n", 2)), v.get("items"));
        assertEquals("text", v.get("mixed"), "a mixed-type field is JSON: a string stays a JSON string");
        ChangeEvent second = rows.stream().filter(e -> e != first).findFirst().orElseThrow();
        assertEquals(5, second.values().get(schema.indexOf("mixed")));
        assertNull(second.values().get(schema.indexOf("name")), "a missing field is null");
    }

    private static byte[] uuidBytes(UUID u) {
        return new org.bson.BsonBinary(u, UuidRepresentation.STANDARD).getData();
    }

    @Test
    void aKeysetSnapshotResumesAfterAnyDocument() {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            docs.add(new Document("_id", new ObjectId()).append("n", i));
        }
        db.getCollection("keyset").insertMany(docs);
        TableSpec spec = TableSpec.of("keyset");
        TableSchema schema = source.describe(spec);
        List<ChangeEvent> all = readAll(source, spec, schema, 7);
        assertEquals(25, all.size());
        for (int i = 0; i < all.size(); i++) {
            assertEquals(all.get(i).key(), all.get(i).position().values(), "each event's position is its key");
            if (i > 0) {
                assertTrue(((String) all.get(i - 1).key().get(0)).compareTo((String) all.get(i).key().get(0)) < 0, "_id order");
            }
        }
        for (int i : new int[] {0, 6, 7, 13, 23}) {
            List<ChangeEvent> rest = new ArrayList<>();
            Position after = all.get(i).position();
            while (true) {
                Chunk c = source.readSnapshot(spec, schema, after, 4);
                rest.addAll(c.events());
                after = c.next();
                if (c.last()) {
                    break;
                }
            }
            assertEquals(all.subList(i + 1, all.size()), rest, "resumed after event " + i);
        }
        Chunk end = source.readSnapshot(spec, schema, all.get(24).position(), 7);
        assertTrue(end.last() && end.events().isEmpty());
        assertEquals(all.get(24).position(), end.next());
    }

    @Test
    void compositeKeysAreTheFieldsOfAnEmbeddedIdInKeyOrder() {
        List<Document> docs = new ArrayList<>();
        for (int t = 3; t >= 1; t--) {
            for (String s : List.of("b", "a", "c")) {
                docs.add(new Document("_id", new Document("tenant", t).append("sku", s)).append("qty", t * 10));
            }
        }
        db.getCollection("composite").insertMany(docs);
        TableSpec spec = TableSpec.of("composite").withKey("tenant", "sku");
        TableSchema schema = source.describe(spec);
        assertEquals(List.of("tenant", "sku", "qty"), schema.columnNames());
        List<ChangeEvent> all = readAll(source, spec, schema, 2);
        List<List<Object>> keys = new ArrayList<>();
        all.forEach(e -> keys.add(e.key()));
        assertEquals(List.of(List.of(1, "a"), List.of(1, "b"), List.of(1, "c"), List.of(2, "a"), List.of(2, "b"), List.of(2, "c"),
                List.of(3, "a"), List.of(3, "b"), List.of(3, "c")), keys);
        assertEquals(List.of(2, "b", 20), all.get(4).values());
    }

    @Test
    void documentModeGivesTheKeyAndTheWholeDocument() {
        db.getCollection("whole").insertOne(new Document("_id", 1).append("b", new Document("x", List.of(1, 2))).append("a", "s"));
        Source docSource = new MongoSourceFactory().create(MongoTestServer.sourceConfig(database, Map.of(MongoSettings.MODE, "document")));
        try {
            TableSchema schema = docSource.describe(TableSpec.of("whole"));
            assertEquals(List.of("_id", "document"), schema.columnNames());
            assertEquals(LogicalType.JSON, schema.column("document").type());
            ChangeEvent e = readAll(docSource, TableSpec.of("whole"), schema, 10).get(0);
            assertEquals(List.of(1, Map.of("b", Map.of("x", List.of(1, 2)), "a", "s")), e.values());
            assertEquals(List.of("b", "a"), List.copyOf(((Map<?, ?>) e.values().get(1)).keySet()), "field order kept");
        } finally {
            docSource.close();
        }
    }

    @Test
    void softDeletedDocumentsAreDeletes() {
        db.getCollection("soft").insertMany(List.of(new Document("_id", 1).append("gone", false), new Document("_id", 2).append("gone", true),
                new Document("_id", 3)));
        TableSpec spec = TableSpec.of("soft").withSoftDelete("gone");
        List<ChangeEvent> all = readAll(source, spec, source.describe(spec), 10);
        assertEquals(List.of(Operation.UPSERT, Operation.DELETE, Operation.UPSERT), List.of(all.get(0).operation(),
                all.get(1).operation(), all.get(2).operation()));
    }

    @Test
    void incrementalReadsTieBreakByIdAcrossChunksAndStopBelowTheSafeBound() {
        Instant old = Instant.now().minusSeconds(3_600);
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            // 30 documents share one cursor value: a chunk boundary falls inside the tie
            docs.add(new Document("_id", i).append("updated_at", Date.from(old)).append("v", i));
        }
        docs.add(new Document("_id", 100).append("updated_at", Date.from(old.plusSeconds(1))).append("v", 100));
        db.getCollection("incr").insertMany(docs);
        TableSpec spec = TableSpec.of("incr").withCursor("updated_at");
        TableSchema schema = source.describe(spec);
        Position start = Position.of(old.minusSeconds(1), null);
        List<Object> ids = new ArrayList<>();
        Position after = start;
        while (true) {
            Chunk c = source.readChanges(spec, schema, after, 4);
            c.events().forEach(e -> ids.add(e.key().get(0)));
            after = c.next();
            if (c.last()) {
                break;
            }
        }
        List<Object> expected = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            expected.add(i);
        }
        expected.add(100);
        assertEquals(expected, ids, "every tied document once, in (cursor, _id) order");
        // a document written now is above the safe bound (now - incremental.lag 5 s): not read yet
        Position caughtUp = after;
        Position before = source.changesStart(spec, schema);
        db.getCollection("incr").insertOne(new Document("_id", 200).append("updated_at", new Date()).append("v", 200));
        assertTrue(source.readChanges(spec, schema, caughtUp, 100).events().isEmpty(), "a fresh write waits for the lag");
        Source noLag = new MongoSourceFactory().create(MongoTestServer.sourceConfig(database, Map.of(MongoSettings.INCREMENTAL_LAG, "0s")));
        try {
            sleep(20);
            List<ChangeEvent> now = noLag.readChanges(spec, noLag.describe(spec), before, 100).events();
            assertEquals(List.of(200), List.of(now.get(0).key().get(0)));
            assertEquals(1, now.size(), "a start taken before the write sees it and nothing older");
            assertTrue(now.get(0).version() > 0, "the cursor is the version");
        } finally {
            noLag.close();
        }
    }

    @Test
    void aCursorThatIsNotADateNeedsTheOptIn() {
        db.getCollection("counter").insertOne(new Document("_id", 1).append("seq", 5L));
        TableSpec spec = TableSpec.of("counter").withCursor("seq");
        TableSchema schema = source.describe(spec);
        ConfigException e = assertThrows(ConfigException.class, () -> source.readChanges(spec, schema, null, 10));
        assertTrue(e.getMessage().contains(MongoSettings.INCREMENTAL_ALLOW_UNSAFE_CURSOR) && e.getMessage().contains("'seq'"), e.getMessage());
        Source unsafe = new MongoSourceFactory().create(MongoTestServer.sourceConfig(database,
                Map.of(MongoSettings.INCREMENTAL_ALLOW_UNSAFE_CURSOR, "true")));
        try {
            assertEquals(1, unsafe.readChanges(spec, unsafe.describe(spec), null, 10).events().size());
        } finally {
            unsafe.close();
        }
    }

    @Test
    void errorsNameTheCollectionAndField() {
        SyncException missing = assertThrows(SyncException.class, () -> source.describe(TableSpec.of("nope")));
        assertTrue(missing.getMessage().contains("'nope'"), missing.getMessage());
        db.getCollection("drift").insertOne(new Document("_id", 1).append("qty", 1));
        TableSpec spec = TableSpec.of("drift");
        TableSchema schema = source.describe(spec);
        db.getCollection("drift").insertOne(new Document("_id", 2).append("qty", "one").append("price", "x"));
        db.getCollection("drift").insertOne(new Document("_id", 3).append("qty", 3));
        Chunk c = source.readSnapshot(spec, schema, null, 10);
        assertEquals(List.of(1, 3), List.of(c.events().get(0).key().get(0), c.events().get(1).key().get(0)),
                "the other documents are read");
        assertEquals(1, c.failed().size(), "the document whose field changed type fails alone");
        WriteResultCheck.failedRow(c.failed().get(0), 2, "'drift'", "'qty'", "_id 2");
        assertEquals(List.of(3), c.next().values(), "the position moves past the failed document too");
        db.getCollection("drift").insertOne(new Document("_id", 4).append("qty", 4)
                .append("amount", new org.bson.types.Decimal128(new BigDecimal("1.5"))));
        db.getCollection("decimals").insertMany(List.of(new Document("_id", 1).append("amount", new org.bson.types.Decimal128(new BigDecimal("2.5"))),
                new Document("_id", 2).append("amount", org.bson.types.Decimal128.NaN)));
        TableSpec decimals = TableSpec.of("decimals");
        TableSchema decimalSchema = source.describe(decimals);
        Chunk d = source.readSnapshot(decimals, decimalSchema, null, 10);
        assertEquals(1, d.events().size());
        WriteResultCheck.failedRow(d.failed().get(0), 2, "'decimals'", "'amount'", "NaN");
        DataException drift = assertThrows(DataException.class,
                () -> BsonValues.toJava(new org.bson.BsonString("one"), schema.column("qty"), "collection 'drift', document _id 2"));
        assertTrue(drift.getMessage().contains("'drift'") && drift.getMessage().contains("'qty'"), drift.getMessage());
        ConfigException cursor = assertThrows(ConfigException.class, () -> source.describe(TableSpec.of("drift").withCursor("nope_at")));
        assertTrue(cursor.getMessage().contains("'nope_at'"), cursor.getMessage());
    }

    /** Checks a row a read could do only in part. */
    private static final class WriteResultCheck {
        static void failedRow(dev.dbsync.spi.WriteResult.FailedEvent f, Object key, String... inReason) {
            assertEquals(List.of(key), f.event().key());
            for (String s : inReason) {
                assertTrue(f.reason().contains(s), "'" + s + "' in: " + f.reason());
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
