package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.SplitEvent;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeKind;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.junit.jupiter.api.Test;

/**
 * How change events as MongoDB documents them become dbsync events. Unit-tested with events built as the driver
 * decodes them, because the test server here (mongo-java-server) cannot produce several of them: updates whose
 * looked-up document is gone ({@code fullDocument: null}), split events, database-level namespaces.
 */
class ChangeEventConversionTest {

    private static final TableSchema ORDERS = new TableSchema("orders",
            List.of(Column.required("_id", LogicalType.INT32), Column.of("qty", LogicalType.INT32)), List.of("_id"));

    private static MongoChangeStream stream() {
        return new MongoChangeStream(null, List.of(DocumentLayout.forSource("orders", ORDERS, false),
                DocumentLayout.forSource("other", ORDERS.withName("other"), false)), null, false, true);
    }

    private static ChangeStreamDocument<BsonDocument> event(String op, String coll, Integer id, BsonDocument full, int t, int inc,
                                                            SplitEvent split) {
        return new ChangeStreamDocument<>(op, new BsonDocument("_data", new BsonString(String.format("%08x%08x", t, inc))),
                new BsonDocument("db", new BsonString("shop")).append("coll", new BsonString(coll)), null, full, null,
                id == null ? null : new BsonDocument("_id", new BsonInt32(id)), new BsonTimestamp(t, inc), null, null, null, null, split, null);
    }

    private static BsonDocument doc(int id, int qty) {
        return new BsonDocument("_id", new BsonInt32(id)).append("qty", new BsonInt32(qty));
    }

    @Test
    void kindsKeysValuesAndVersionsFromClusterTime() {
        MongoChangeStream s = stream();
        List<ChangeEvent> out = new ArrayList<>();
        s.handle(event("insert", "orders", 1, doc(1, 5), 100, 1), out);
        s.handle(event("update", "orders", 1, doc(1, 6), 100, 2), out);
        s.handle(event("replace", "orders", 1, doc(1, 7), 101, 1), out);
        s.handle(event("delete", "orders", 1, null, 101, 2), out);
        assertEquals(List.of(ChangeKind.INSERT, ChangeKind.UPDATE, ChangeKind.UPDATE, ChangeKind.UNKNOWN),
                Arrays.asList(out.stream().map(ChangeEvent::kind).toArray()));
        assertEquals(Operation.DELETE, out.get(3).operation());
        assertEquals(List.of(1, 7), out.get(2).values());
        for (int i = 1; i < out.size(); i++) {
            assertTrue(out.get(i).version() > out.get(i - 1).version(), "versions grow with the cluster time");
        }
        assertEquals(new BsonTimestamp(101, 2).getValue(), out.get(3).version());
        assertEquals(MongoChangeStream.TOKEN, out.get(3).position().get(0));
        assertEquals(out.get(3).position(), s.position(), "the stream stands after its last event");
    }

    @Test
    void anUpdateWhoseDocumentIsGoneIsADeleteByDocumentKey() {
        List<ChangeEvent> out = new ArrayList<>();
        stream().handle(event("update", "orders", 9, null, 200, 1), out);
        assertEquals(1, out.size());
        assertEquals(Operation.DELETE, out.get(0).operation());
        assertEquals(List.of(9), out.get(0).key());
    }

    @Test
    void eventsOfOtherCollectionsAreLeftOutAndDdlBecomesTruncate() {
        List<ChangeEvent> out = new ArrayList<>();
        MongoChangeStream s = stream();
        s.handle(event("insert", "unrelated", 1, doc(1, 1), 300, 1), out);
        s.handle(event("createIndexes", "orders", null, null, 300, 2), out);
        s.handle(event("insert", "other", 2, doc(2, 2), 300, 3), out);
        s.handle(event("drop", "orders", null, null, 300, 4), out);
        assertEquals(2, out.size());
        assertEquals("other", out.get(0).table());
        assertEquals(Operation.TRUNCATE, out.get(1).operation());
        assertEquals("orders", out.get(1).table());
    }

    @Test
    void fragmentsOfASplitEventAreJoined() {
        List<ChangeEvent> out = new ArrayList<>();
        MongoChangeStream s = stream();
        // $changeStreamSplitLargeEvent: the first fragment carries the small fields, a later one the full document
        ChangeStreamDocument<BsonDocument> first = event("update", "orders", 4, null, 400, 1, new SplitEvent(1, 2));
        ChangeStreamDocument<BsonDocument> second = new ChangeStreamDocument<>(null,
                new BsonDocument("_data", new BsonString("fragment2")), null, null, doc(4, 44), null, null, null, null, null, null,
                null, new SplitEvent(2, 2), null);
        s.handle(first, out);
        assertEquals(0, out.size(), "nothing before the last fragment");
        s.handle(second, out);
        assertEquals(1, out.size());
        assertEquals(Operation.UPSERT, out.get(0).operation());
        assertEquals(List.of(4, 44), out.get(0).values());
        assertEquals(new BsonTimestamp(400, 1).getValue(), out.get(0).version());
        assertTrue(((String) out.get(0).position().get(1)).contains("fragment2"), "the position is after the last fragment");
    }

    @Test
    void anEventWithoutAnyIdIsAnErrorNamingTheCollection() {
        SyncException e = assertThrows(SyncException.class,
                () -> stream().handle(event("update", "orders", null, new BsonDocument("qty", new BsonInt32(1)), 500, 1), new ArrayList<>()));
        assertTrue(e.getMessage().contains("'orders'") && e.getMessage().contains("_id"), e.getMessage());
    }

    private static ChangeStreamDocument<BsonDocument> event(String op, String coll, Integer id, BsonDocument full, int t, int inc) {
        return event(op, coll, id, full, t, inc, null);
    }
}
