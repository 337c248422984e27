package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.junit.jupiter.api.Test;

/**
 * The engine with the MongoDB source in CDC mode (snapshot, then the change stream) into the MongoDB sink, with
 * checkpoints in MongoDB: nested documents, inserts, updates, replaces and deletes; the first run dies in the
 * middle of its snapshot, later runs resume from the saved snapshot and stream positions with nothing lost.
 */
class MongoToMongoCdcIT {

    private static final AtomicInteger RUNS = new AtomicInteger();

    @Test
    void aCrashedRunResumesAndTheTargetEndsEqualToTheSource() {
        MongoTestServer server = MongoTestServer.get();
        System.out.println("MongoToMongoCdcIT runs against " + server.kind());
        String from = server.newDatabase();
        String to = server.newDatabase();
        MongoDatabase src = server.client().getDatabase(from);
        MongoCollection<Document> orders = src.getCollection("orders");
        List<Document> docs = new ArrayList<>();
        for (int i = 1; i <= 300; i++) {
            docs.add(order(i, "first"));
        }
        orders.insertMany(docs);
        Map<String, Object> sourceSettings = Map.of(MongoSettings.STREAM_MAX_AWAIT, "200ms");

        SyncReport crashed = run(from, to, sourceSettings, 3);
        assertFalse(crashed.succeeded(), "the first run dies at its third write: " + crashed.toText());

        // changes while nothing runs
        for (int i = 301; i <= 320; i++) {
            orders.insertOne(order(i, "between runs"));
        }
        for (int i = 1; i <= 10; i++) {
            orders.updateOne(Filters.eq("_id", i), Updates.combine(Updates.set("customer.city", "Bern"), Updates.inc("version", 1)));
        }
        orders.replaceOne(Filters.eq("_id", 11), order(11, "replaced"));
        orders.deleteMany(Filters.and(Filters.gte("_id", 50), Filters.lt("_id", 60)));

        SyncReport resumed = run(from, to, sourceSettings, -1);
        assertTrue(resumed.succeeded(), resumed.toText());
        assertSameDocuments(src, server.client().getDatabase(to));

        for (int i = 321; i <= 330; i++) {
            orders.insertOne(order(i, "streamed"));
        }
        orders.updateOne(Filters.eq("_id", 12), Updates.push("lines", new Document("sku", "added").append("qty", 1)));
        orders.deleteOne(Filters.eq("_id", 13));
        SyncReport third = run(from, to, sourceSettings, -1);
        assertTrue(third.succeeded(), third.toText());
        assertSameDocuments(src, server.client().getDatabase(to));
    }

    private static Document order(int i, String note) {
        return new Document("_id", i).append("customer", new Document("name", "c" + (i % 17)).append("city", "Zürich"))
                .append("lines", List.of(new Document("sku", "s" + i).append("qty", i % 5 + 1), new Document("sku", "t").append("qty", 2)))
                .append("total", new Decimal128(new BigDecimal(i + ".05"))).append("placed", new Date(1_700_000_000_000L + i * 1000L))
                .append("note", note).append("version", 0);
    }

    private static SyncReport run(String from, String to, Map<String, Object> sourceSettings, int crashAtWrite) {
        CheckpointStore store = new MongoCheckpointStoreFactory().create(MongoTestServer.storeConfig(to, Map.of(MongoSettings.LEASE_TTL, "2s")));
        Sink real = new MongoSinkFactory().create(MongoTestServer.sinkConfig(to, Map.of()));
        Sink sink = crashAtWrite < 0 ? real : new CrashingSink(real, crashAtWrite);
        try (SyncEngine engine = SyncEngine.builder().pipeline("mongo-to-mongo")
                .source(new MongoSourceFactory().create(MongoTestServer.sourceConfig(from, sourceSettings)))
                .sink(sink).checkpointStore(store)
                .table(TableSync.cdc(TableSpec.of("orders")))
                .batchRows(40).readRows(40).streamIdle(Duration.ofSeconds(1)).build()) {
            SyncReport r = engine.runOnce();
            System.out.println("run " + RUNS.incrementAndGet() + ":\n" + r.toText());
            return r;
        } finally {
            store.close();
        }
    }

    private static void assertSameDocuments(MongoDatabase source, MongoDatabase target) {
        Map<Object, Document> expected = new TreeMap<>();
        for (Document d : source.getCollection("orders").find()) {
            expected.put(d.get("_id"), d);
        }
        Map<Object, Document> actual = new TreeMap<>();
        for (Document d : target.getCollection("orders").find()) {
            d.remove("_v");
            actual.put(d.get("_id"), d);
        }
        assertEquals(expected.keySet(), actual.keySet(), "the same documents");
        for (Object id : expected.keySet()) {
            assertEquals(expected.get(id).toJson(), actual.get(id).toJson(), "document " + id);
        }
    }

    /** The real sink whose n-th write dies, as a killed process would, before anything of it is written. */
    private static final class CrashingSink implements Sink {
        private final Sink real;
        private final AtomicInteger writesLeft;

        CrashingSink(Sink real, int crashAt) {
            this.real = real;
            this.writesLeft = new AtomicInteger(crashAt);
        }

        @Override
        public Set<SinkCapability> capabilities() {
            return real.capabilities();
        }

        @Override
        public TableWriter open(TableSchema schema) {
            TableWriter w = real.open(schema);
            return new TableWriter() {
                @Override
                public WriteResult write(Batch batch) {
                    if (writesLeft.decrementAndGet() <= 0) {
                        throw new IllegalStateException("simulated crash");
                    }
                    return w.write(batch);
                }

                @Override
                public void flush() {
                    w.flush();
                }

                @Override
                public void truncate() {
                    w.truncate();
                }

                @Override
                public void close() {
                    w.close();
                }
            };
        }

        @Override
        public void close() {
            real.close();
        }
    }
}
