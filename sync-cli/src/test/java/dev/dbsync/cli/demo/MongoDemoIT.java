package dev.dbsync.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import dev.dbsync.cli.datagen.EcommerceTable;
import dev.dbsync.engine.SyncListener;
import dev.dbsync.testkit.PostgresServer;
import dev.dbsync.verify.TableVerification;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo syncing into MongoDB: here the in-process imitation of its wire protocol (mongo-java-server; no real
 * MongoDB can be had on this machine; {@code DBSYNC_IT_MONGO_URL} names a real one). Full sync, mutations,
 * incremental sync, and verification through the mongo source connector, as for the other targets; the live rows
 * of each collection are also counted with the driver against the source.
 *
 * <p>{@code products.attributes} is a JSON column whose {@code rating} is a decimal number: the mongo sink stores it
 * as a Decimal128 inside the document (no digit lost) and the mongo source reads it back as that number, so every
 * table verifies equal and the demo succeeds.
 */
class MongoDemoIT {

    @TempDir
    Path out;

    @Test
    void demoSyncsAndVerifiesMongo() throws Exception {
        StringWriter log = new StringWriter();
        PostgresServer pg = PostgresServer.get();
        String given = System.getenv("DBSYNC_IT_MONGO_URL");
        Environment.Options servers = new Environment.Options(pg.createDatabase("mdemo_source"), pg.username(),
                pg.password(), pg.createDatabase("mdemo_target"), null, null, null, null, true, null, null, null)
                .withMongo(given == null || given.isBlank() ? null : given).withRedis("redis://127.0.0.1:1");
        Demo.Result r = new Demo(new Demo.Options(2_000, 42, servers, out, 2), new PrintWriter(log, true),
                step -> new SyncListener() { }).run();

        assertEquals(2, r.targets().size(), "PostgreSQL and MongoDB: " + log);
        assertTrue(r.targets().get(0).ok(r.changes()), "PostgreSQL target: " + log);
        Demo.TargetRun mongo = r.targets().get(1);
        assertEquals("mongo", mongo.target().type());
        assertTrue(mongo.full().succeeded() && mongo.incremental().succeeded(), log.toString());
        assertTrue(r.skipped().contains("Redis: not used by the demo (the benchmarks use it)"), r.skipped().toString());
        for (TableVerification v : mongo.verified()) {
            assertTrue(v.verified(), v.toString());
            assertEquals(v.sourceRows(), v.targetRows(), v.table());
            assertTrue(v.missing().isEmpty() && v.extra().isEmpty(), v.toString());
            assertTrue(v.equal(), v.toString());
        }
        assertTrue(r.ok(), "the demo succeeds: " + log);
        for (Demo.TableChanges c : r.changes().values()) {
            assertEquals(c.expectedUpserted(), (long) mongo.changedRowsFound().get(c.table()), c.table());
            assertEquals(0, (int) mongo.deletedRowsFound().get(c.table()), c.table());
        }
        try (MongoClient client = MongoClients.create(mongo.target().queryUrl())) {
            var db = client.getDatabase(String.valueOf(mongo.target().settings().get("database")));
            for (EcommerceTable t : EcommerceTable.values()) {
                long live = r.sourceRows().get(t.tableName());
                assertEquals(live, db.getCollection(t.tableName()).countDocuments(new Document("is_deleted", false)),
                        t.tableName());
                assertEquals(live, db.getCollection(t.tableName()).countDocuments(), t.tableName());
            }
        }
        try (MongoClient client = MongoClients.create(mongo.target().queryUrl())) {
            Document p = client.getDatabase(String.valueOf(mongo.target().settings().get("database")))
                    .getCollection("products").find().first();
            assertTrue(p.get("attributes", Document.class).get("rating") instanceof org.bson.types.Decimal128, p.toJson());
        }
        String md = Files.readString(r.markdown(), StandardCharsets.UTF_8);
        assertTrue(md.contains("MongoDB imitation") || given != null, md);
    }
}
