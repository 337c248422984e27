package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.RetryPolicy;
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
import dev.dbsync.testkit.ClickHouseServer;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.junit.jupiter.api.Test;

/**
 * MongoDB change streams into ClickHouse (the test kit's ClickHouse engine) through the engine: nested documents,
 * inserts, updates, replaces and deletes; the first run dies mid-snapshot and the next resumes. Versions are
 * cluster times, so ClickHouse's ReplacingMergeTree keeps the newest change of each document.
 */
class MongoToClickHouseIT {

    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    @Test
    void changeStreamsReachClickHouseAcrossACrash() {
        MongoTestServer mongo = MongoTestServer.get();
        ClickHouseServer ch = ClickHouseServer.get();
        System.out.println("MongoToClickHouseIT runs against " + mongo.kind() + " and " + ch.kind());
        String database = mongo.newDatabase();
        String target = "mongo_events_" + RUN;
        MongoCollection<Document> events = mongo.client().getDatabase(database).getCollection("events");
        List<Document> docs = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            docs.add(event(i, "v1"));
        }
        events.insertMany(docs);
        assertFalse(run(database, ch, target, 2).succeeded(), "the first run dies at its second write");
        for (int i = 101; i <= 110; i++) {
            events.insertOne(event(i, "between"));
        }
        events.updateOne(Filters.eq("_id", 5), Updates.set("user.country", "CH"));
        events.replaceOne(Filters.eq("_id", 6), event(6, "replaced"));
        events.deleteOne(Filters.eq("_id", 7));
        SyncReport resumed = run(database, ch, target, -1);
        assertTrue(resumed.succeeded(), resumed.toText());
        events.deleteOne(Filters.eq("_id", 8));
        events.updateOne(Filters.eq("_id", 9), Updates.set("name", "renamed"));
        SyncReport third = run(database, ch, target, -1);
        assertTrue(third.succeeded(), third.toText());

        Map<Integer, String> expected = new TreeMap<>();
        for (Document d : events.find()) {
            expected.put(d.getInteger("_id"), d.getString("name") + "\t" + ((Decimal128) d.get("amount")).bigDecimalValue().toPlainString());
        }
        Map<Integer, String> actual = new TreeMap<>();
        String tsv = ch.query("SELECT `_id`, name, toString(amount) FROM `" + target + "` FINAL WHERE _is_deleted = 0 ORDER BY `_id`");
        for (String line : tsv.split("\n")) {
            if (!line.isBlank()) {
                String[] f = line.split("\t", 2);
                String[] rest = f[1].split("\t");
                actual.put(Integer.parseInt(f[0]), rest[0] + "\t" + new BigDecimal(rest[1]).setScale(2).toPlainString());
            }
        }
        assertEquals(108, expected.size(), "110 inserted, 2 deleted");
        assertEquals(expected, actual, "ClickHouse's live rows are exactly the MongoDB documents");
        String country = ch.query("SELECT toString(user) FROM `" + target + "` FINAL WHERE `_id` = 5 AND _is_deleted = 0").trim();
        assertTrue(country.contains("CH"), "the nested document arrived as JSON: " + country);
    }

    private static Document event(int i, String note) {
        return new Document("_id", i).append("name", "event " + i + " " + note).append("amount", new Decimal128(new BigDecimal(i + ".50")))
                .append("user", new Document("id", i % 9).append("country", "DE")).append("tags", List.of("t" + i % 3))
                .append("at", new Date(1_700_000_000_000L + i * 1000L));
    }

    private static SyncReport run(String database, ClickHouseServer ch, String target, int crashAt) {
        Map<String, Object> config = new HashMap<>();
        config.put("url", ch.httpUrl());
        config.put("user", ch.username());
        config.put("password", ch.password());
        config.put("database", ch.database());
        Sink real = Connectors.load().createSink("clickhouse", config);
        Sink sink = crashAt < 0 ? real : new Crashing(real, crashAt);
        CheckpointStore store = new MongoCheckpointStoreFactory().create(MongoTestServer.storeConfig(database, Map.of(MongoSettings.LEASE_TTL, "2s")));
        try (SyncEngine engine = SyncEngine.builder().pipeline("mongo-to-ch-" + RUN)
                .source(new MongoSourceFactory().create(MongoTestServer.sourceConfig(database, Map.of(MongoSettings.STREAM_MAX_AWAIT, "200ms"))))
                .sink(sink).checkpointStore(store).table(TableSync.cdc(TableSpec.of("events")).withTarget(target))
                .batchRows(40).readRows(40).streamIdle(Duration.ofMillis(1000)).retryPolicy(RetryPolicy.none()).build()) {
            SyncReport r = engine.runOnce();
            System.out.println(r.toText());
            return r;
        }
    }

    /** A sink whose n-th write dies before anything of it is written, as a killed process would. */
    private static final class Crashing implements Sink {
        private final Sink real;
        private final AtomicInteger left;

        Crashing(Sink real, int at) {
            this.real = real;
            this.left = new AtomicInteger(at);
        }

        @Override
        public Set<SinkCapability> capabilities() {
            return real.capabilities();
        }

        @Override
        public Set<dev.dbsync.spi.LogicalType> supportedTypes() {
            return real.supportedTypes();
        }

        @Override
        public TableWriter open(TableSchema schema) {
            TableWriter w = real.open(schema);
            return new TableWriter() {
                @Override
                public WriteResult write(Batch batch) {
                    if (left.decrementAndGet() <= 0) {
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
