package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import dev.dbsync.config.Config;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ForeignKey;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.bson.BsonBinarySubType;
import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.BsonType;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sink against the test server (MongoDB, or the imitation: the first line of output says which). */
class MongoSinkIT {

    private static MongoTestServer server;
    private static String database;
    private static Sink sink;
    private static MongoDatabase db;

    @BeforeAll
    static void start() {
        server = MongoTestServer.get();
        database = server.newDatabase();
        sink = new MongoSinkFactory().create(MongoTestServer.sinkConfig(database, Map.of()));
        db = server.client().getDatabase(database);
        System.out.println("MongoSinkIT runs against " + server.kind());
    }

    @AfterAll
    static void stop() {
        sink.close();
    }

    private static TableSchema simple(String name) {
        return new TableSchema(name, List.of(Column.required("id", LogicalType.INT64), Column.of("name", LogicalType.STRING),
                Column.decimal("amount", 12, 2)), List.of("id"));
    }

    private static ChangeEvent up(TableSchema s, long version, Object... row) {
        return ChangeEvent.upsert(s.name(), new Object[] {row[0]}, row, version, Position.of(row[0]));
    }

    private static ChangeEvent del(TableSchema s, long version, Object key) {
        return ChangeEvent.delete(s.name(), new Object[] {key}, null, version, Position.of(key));
    }

    private static WriteResult write(TableWriter w, TableSchema s, ChangeEvent... events) {
        WriteResult r = w.write(Batch.of(s, List.of(events)));
        w.flush();
        return r;
    }

    private static Map<Object, Document> target(String coll) {
        Map<Object, Document> out = new LinkedHashMap<>();
        for (Document d : db.getCollection(coll).find().sort(new Document("_id", 1))) {
            out.put(d.get("_id"), d);
        }
        return out;
    }

    @Test
    void capabilitiesAreWhatTheWriterDoes() {
        assertEquals(Set.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE, SinkCapability.VERSIONED),
                sink.capabilities());
    }

    @Test
    void everyLogicalTypeIsStoredAsItsBsonTypeAndReadBackExactly() {
        TableSchema s = new TableSchema("types", List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("s", LogicalType.STRING), Column.of("i", LogicalType.INT32), Column.of("l", LogicalType.INT64),
                Column.decimal("d", 30, 10), Column.of("f", LogicalType.FLOAT64), Column.of("b", LogicalType.BOOLEAN),
                Column.of("bytes", LogicalType.BYTES), Column.of("u", LogicalType.UUID), Column.of("day", LogicalType.DATE),
                Column.of("ts", LogicalType.TIMESTAMP), Column.of("tstz", LogicalType.TIMESTAMP_TZ), Column.of("j", LogicalType.JSON),
                Column.array("tags", LogicalType.STRING)), List.of("id"));
        UUID u = UUID.randomUUID();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("z", 1);
        json.put("a", List.of("x", Map.of("n", new BigDecimal("1.50"))));
        Object[] row = {1L, "héllo \u0000 'x'", Integer.MIN_VALUE, Long.MAX_VALUE, new BigDecimal("-12345678901234567890.0123456789"),
            -0.1, true, new byte[] {0, (byte) 0xff}, u, LocalDate.of(1900, 1, 1), LocalDateTime.parse("2024-02-29T23:59:59.123"),
            Instant.parse("1969-12-31T23:59:59.999Z"), json, Arrays.asList("a", null, "c")};
        Object[] nulls = new Object[row.length];
        nulls[0] = 2L;
        TableWriter w = sink.open(s);
        WriteResult r = write(w, s, ChangeEvent.upsert("types", new Object[] {1L}, row, 0, Position.of(1L)),
                ChangeEvent.upsert("types", new Object[] {2L}, nulls, 0, Position.of(2L)));
        assertEquals(2, r.upserted());
        assertTrue(r.failed().isEmpty(), r.failed().toString());
        BsonDocument d = db.getCollection("types", BsonDocument.class).find(new Document("_id", 1L)).first();
        assertEquals(new BsonInt64(1L), d.get("_id"), "a one-column key is the _id itself");
        assertEquals(new BsonInt64(1L), d.get("id"), "and stays a field, so queries by the column work");
        assertEquals(BsonType.INT32, d.get("i").getBsonType());
        assertEquals(BsonType.DECIMAL128, d.get("d").getBsonType());
        assertEquals(BsonBinarySubType.UUID_STANDARD.getValue(), d.get("u").asBinary().getType());
        assertEquals(BsonType.DATE_TIME, d.get("ts").getBsonType());
        assertEquals(BsonType.DOCUMENT, d.get("j").getBsonType());
        assertEquals(BsonType.DECIMAL128, d.get("j").asDocument().get("a").asArray().get(1).asDocument().get("n").getBsonType());
        // read back through the column types, as the source does
        DocumentLayout layout = DocumentLayout.forSink(s);
        Object[] back = layout.values(d, new Object[] {1L});
        for (int i = 0; i < row.length; i++) {
            Object expected = row[i];
            if (expected instanceof byte[]) {
                assertTrue(Arrays.equals((byte[]) expected, (byte[]) back[i]), s.columns().get(i).name());
            } else if (expected instanceof Map) {
                assertEquals(Map.of("z", 1, "a", List.of("x", Map.of("n", new BigDecimal("1.50")))), back[i],
                        "JSON keeps decimals exactly, scale included, when read back");
            } else {
                assertEquals(expected, back[i], s.columns().get(i).name());
            }
        }
        BsonDocument n = db.getCollection("types", BsonDocument.class).find(new Document("_id", 2L)).first();
        assertTrue(n.get("s").isNull() && n.get("j").isNull() && n.get("tags").isNull(), "nulls are stored as null fields");
    }

    @Test
    void aStaleVersionIsSkippedNotFailedAndNegativeVersionsOrderToo() {
        TableSchema s = simple("versions");
        TableWriter w = sink.open(s);
        write(w, s, up(s, 5_000_000L, 1L, "newer", null));
        WriteResult stale = write(w, s, up(s, 4_000_000L, 1L, "older", null));
        assertTrue(stale.failed().isEmpty(), stale.failed().toString());
        assertEquals(1, stale.skipped());
        assertEquals(0, stale.upserted());
        assertEquals("newer", target("versions").get(1L).get("name"));
        assertEquals(5_000_000L, target("versions").get(1L).get("_v"));
        write(w, s, up(s, -10L, 2L, "kept", null), up(s, -5L, 2L, "negative versions order too", null));
        TableWriter other = sink.open(s);
        WriteResult replay = write(other, s, up(s, -7L, 2L, "replayed older", null), up(s, 10L, 3L, "new", null));
        assertEquals(1, replay.skipped());
        assertEquals(1, replay.upserted());
        assertEquals("negative versions order too", target("versions").get(2L).get("name"));
        // an older delete leaves the newer document; a newer one removes it
        WriteResult oldDelete = write(w, s, del(s, 4_000_000L, 1L));
        assertEquals(1, oldDelete.skipped());
        assertEquals(0, oldDelete.deleted());
        assertTrue(target("versions").containsKey(1L));
        WriteResult newDelete = write(w, s, del(s, 6_000_000L, 1L), del(s, 7L, 99L));
        assertEquals(2, newDelete.deleted(), "a delete of a missing key is no error");
        assertFalse(target("versions").containsKey(1L));
    }

    @Test
    void perItemErrorsFailTheirEventAloneAndTheRestIsApplied() {
        TableSchema s = simple("peritem");
        TableWriter w = sink.open(s);
        db.getCollection("peritem").createIndex(new Document("name", 1), new IndexOptions().unique(true));
        List<ChangeEvent> events = new ArrayList<>();
        for (long id = 1; id <= 6; id++) {
            events.add(up(s, 0, id, id == 4 ? "dup" : id == 5 ? "dup" : "n" + id, new BigDecimal(id + ".25")));
        }
        events.add(up(s, 0, 7L, "too precise", new BigDecimal("1234567890123456789012345678901234567.1")));
        WriteResult r = write(w, s, events.toArray(new ChangeEvent[0]));
        Set<Object> failedKeys = new HashSet<>();
        r.failed().forEach(f -> failedKeys.add(f.event().key().get(0)));
        assertEquals(2, r.failed().size(), r.failed().toString());
        assertTrue(failedKeys.contains(7L), "the decimal Decimal128 cannot hold fails alone");
        assertTrue(failedKeys.contains(4L) || failedKeys.contains(5L), "one of the two documents violating the unique index fails");
        for (WriteResult.FailedEvent f : r.failed()) {
            assertTrue(f.reason().contains("peritem") && f.reason().contains("key ["), "the reason names table and key: " + f.reason());
        }
        assertEquals(5, r.upserted());
        assertEquals(5, target("peritem").size(), "the other documents were written");
    }

    @Test
    void aDocumentAboveTheSizeLimitIsADataExceptionSoTheEngineIsolatesIt() {
        TableSchema s = simple("huge");
        TableWriter w = sink.open(s);
        ChangeEvent huge = up(s, 0, 1L, "x".repeat(17 * 1024 * 1024), null);
        ChangeEvent small = up(s, 0, 2L, "small", null);
        dev.dbsync.spi.DataException e = assertThrows(dev.dbsync.spi.DataException.class, () -> w.write(Batch.of(s, List.of(small, huge))));
        assertTrue(e.getMessage().contains("huge") && e.getMessage().contains("size"), e.getMessage());
        assertThrows(dev.dbsync.spi.DataException.class, () -> w.write(Batch.of(s, List.of(huge))));
        assertEquals(1, write(w, s, small).upserted());
        assertEquals(Set.of(2L), target("huge").keySet());
    }

    @Test
    void theLastChangeOfAKeyInABatchWinsAndCountsCoverEveryEvent() {
        TableSchema s = simple("latest");
        TableWriter w = sink.open(s);
        WriteResult r = write(w, s, up(s, 0, 1L, "a", null), del(s, 0, 1L), up(s, 0, 1L, "b", null), up(s, 0, 2L, "x", null),
                del(s, 0, 2L));
        assertEquals(Map.of(1L, "b"), Map.of(1L, target("latest").get(1L).get("name")));
        assertFalse(target("latest").containsKey(2L));
        assertEquals(3, r.upserted());
        assertEquals(2, r.deleted());
    }

    @Test
    void compositeKeysAreAnEmbeddedIdInKeyOrderWithIndexesForKeysAndForeignKeys() {
        TableSchema s = new TableSchema("lines", List.of(Column.required("order_id", LogicalType.INT64),
                Column.required("line", LogicalType.INT32), Column.of("customer_id", LogicalType.INT64),
                Column.of("sku", LogicalType.STRING)), List.of("order_id", "line"))
                .withForeignKeys(List.of(new ForeignKey("fk_customer", List.of("customer_id"), "public.customers", List.of("id"))));
        TableWriter w = sink.open(s);
        write(w, s, ChangeEvent.upsert("lines", new Object[] {7L, 2}, new Object[] {7L, 2, 3L, "b"}, 0, Position.of(7L, 2)),
                ChangeEvent.upsert("lines", new Object[] {7L, 1}, new Object[] {7L, 1, 3L, "a"}, 0, Position.of(7L, 1)));
        BsonDocument d = db.getCollection("lines", BsonDocument.class).find(new Document("_id",
                new Document("order_id", 7L).append("line", 1))).first();
        assertEquals("a", d.getString("sku").getValue());
        assertEquals(List.of("order_id", "line"), List.copyOf(d.getDocument("_id").keySet()), "key fields in key order");
        write(w, s, ChangeEvent.delete("lines", new Object[] {7L, 2}, null, 0, Position.of(7L, 2)));
        assertEquals(1, db.getCollection("lines").countDocuments());
        Set<String> indexed = new HashSet<>();
        for (Document ix : db.getCollection("lines").listIndexes()) {
            indexed.add(((Document) ix.get("key")).keySet().toString());
        }
        assertTrue(indexed.contains("[order_id, line]") && indexed.contains("[customer_id]"), indexed.toString());
    }

    @Test
    void openCreatesTheCollectionIsIdempotentAndKeepsOddNamesAsTheyAre() {
        String name = "Odd Tåble \"quoted\" 'x' select";
        TableSchema s = new TableSchema(name, List.of(Column.required("Key Col", LogicalType.STRING),
                Column.of("sélect \"v\"", LogicalType.STRING)), List.of("Key Col"));
        TableWriter w = sink.open(s);
        sink.open(s).close();
        write(w, s, ChangeEvent.upsert(name, new Object[] {"k'1"}, new Object[] {"k'1", "v"}, 0, Position.of("k'1")));
        assertEquals("v", db.getCollection(name).find().first().get("sélect \"v\""));
        SyncException bad = assertThrows(SyncException.class, () -> sink.open(new TableSchema("bad", List.of(
                Column.required("id", LogicalType.INT64), Column.of("a.b", LogicalType.STRING)), List.of("id"))));
        assertTrue(bad.getMessage().contains("'a.b'"), bad.getMessage());
    }

    @Test
    void truncateEmptiesTheCollectionAndKeepsItsIndexes() {
        TableSchema s = simple("trunc");
        TableWriter w = sink.open(s);
        write(w, s, up(s, 0, 1L, "a", null), up(s, 0, 2L, "b", null));
        db.getCollection("trunc").createIndex(new Document("name", 1));
        w.truncate();
        assertEquals(0, db.getCollection("trunc").countDocuments());
        int indexes = 0;
        for (Document ignored : db.getCollection("trunc").listIndexes()) {
            indexes++;
        }
        assertEquals(3, indexes, "_id, the key column's and the one created here");
    }

    @Test
    void theUrlNeverAppearsInErrorsAndAnUnreachableServerIsNamedBySetting() {
        Map<String, Object> raw = new java.util.HashMap<>();
        raw.put(MongoSettings.URL, "mongodb://dbsync:s3cr3t-pw@127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300");
        raw.put(MongoSettings.DATABASE, "x");
        SyncException e = assertThrows(SyncException.class, () -> new MongoSinkFactory().create(Config.of(MongoSettings.sink(), raw)));
        assertTrue(e.getMessage().contains("'url'"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cr3t-pw"), e.getMessage());
        assertFalse(Config.of(MongoSettings.sink(), raw).toString().contains("s3cr3t-pw"));
        raw.put(MongoSettings.URL, "mongodb://dbsync:s3cr3t-pw@/bad:port:x");
        SyncException bad = assertThrows(SyncException.class, () -> new MongoSinkFactory().create(Config.of(MongoSettings.sink(), raw)));
        assertFalse(bad.getMessage().contains("s3cr3t-pw"), bad.getMessage());
    }

    @Test
    void aTenThousandRowBatchLandsInOneCall() {
        TableSchema s = simple("big");
        TableWriter w = sink.open(s);
        List<ChangeEvent> events = new ArrayList<>();
        for (long id = 1; id <= 10_000; id++) {
            events.add(up(s, 0, id, "row " + id, BigDecimal.valueOf(id, 2)));
        }
        WriteResult r = write(w, s, events.toArray(new ChangeEvent[0]));
        assertEquals(10_000, r.upserted());
        assertEquals(10_000, db.getCollection("big").countDocuments());
        MongoCollection<Document> c = db.getCollection("big");
        assertEquals("row 5000", c.find(new Document("_id", 5000L)).first().get("name"));
        assertNull(c.find(new Document("_id", 10_001L)).first());
    }

    /**
     * A whole batch replayed with the same versions changes and fails nothing. 1,000 rows: mongo-java-server scans
     * the collection for every versioned filter (MongoDB uses the _id index), which makes 10,000 take minutes there.
     */
    @Test
    void aReplayedVersionedBatchIsSkippedWhole() {
        TableSchema s = simple("replay");
        TableWriter w = sink.open(s);
        List<ChangeEvent> events = new ArrayList<>();
        for (long id = 1; id <= 1_000; id++) {
            events.add(up(s, id, id, "row " + id, BigDecimal.valueOf(id, 2)));
        }
        assertEquals(1_000, write(w, s, events.toArray(new ChangeEvent[0])).upserted());
        WriteResult again = write(w, s, events.toArray(new ChangeEvent[0]));
        assertEquals(1_000, again.skipped());
        assertEquals(0, again.upserted());
        assertTrue(again.failed().isEmpty());
        assertEquals(1_000, db.getCollection("replay").countDocuments());
    }
}
