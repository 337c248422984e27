package dev.dbsync.mongo;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.Document;
import org.bson.types.Decimal128;

/**
 * Source read and sink write rows/s of the MongoDB connector beside the raw driver doing the same work, in one
 * run, several rounds: reads beside one raw {@code find} iteration and beside the raw driver running the same keyset
 * chunk queries the source runs; writes beside raw {@code insertMany}. Run by hand:
 * <pre>
 * mvn -q -pl sync-mongo test-compile exec:java -Dexec.mainClass=dev.dbsync.mongo.MongoBenchmark \
 *     -Dexec.classpathScope=test -Dexec.args="200000 3"
 * </pre>
 * With {@code DBSYNC_IT_MONGO_URL} it measures that MongoDB; otherwise mongo-java-server (in memory, in this
 * JVM): then the absolute figures say nothing about MongoDB, and only the ratios mean something, as the cost the
 * connector adds on top of the same driver calls.
 */
public final class MongoBenchmark {

    private MongoBenchmark() {
    }

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String url = System.getenv(MongoTestServer.URL_ENV);
        MongoServer imitation = null;
        String kind;
        if (url == null || url.isBlank()) {
            MemoryBackend backend = new MemoryBackend();
            backend.version(ServerVersion.MONGO_5_0);
            imitation = new MongoServer(backend);
            url = "mongodb://127.0.0.1:" + imitation.bind().getPort();
            kind = "mongo-java-server 1.47.0 in this JVM (an imitation: absolute figures say nothing about MongoDB)";
        } else {
            kind = "MongoDB from " + MongoTestServer.URL_ENV;
        }
        System.out.println("server: " + kind + "; " + rows + " documents, " + rounds + " rounds, JDK " + System.getProperty("java.version"));
        String database = "dbsync_bench_" + ProcessHandle.current().pid();
        try (MongoClient client = MongoClients.create(url)) {
            MongoDatabase db = client.getDatabase(database);
            List<Document> docs = new ArrayList<>(rows);
            for (int i = 0; i < rows; i++) {
                docs.add(new Document("_id", (long) i).append("customer_id", (long) (i % 5000)).append("status", i % 3 == 0 ? "paid" : "new")
                        .append("total", new Decimal128(new BigDecimal(i % 10_000 + ".25"))).append("placed_at", new Date(1_700_000_000_000L + i))
                        .append("note", "order number " + i).append("address", new Document("city", "Zürich").append("zip", 8000 + i % 100)));
            }
            Map<String, Object> settings = Map.of(MongoSettings.URL, url, MongoSettings.DATABASE, database);
            for (int round = 1; round <= rounds; round++) {
                db.drop();
                // raw write: insertMany in batches of 10,000
                MongoCollection<Document> raw = db.getCollection("raw_write");
                long t0 = System.nanoTime();
                for (int i = 0; i < rows; i += 10_000) {
                    raw.insertMany(new ArrayList<>(docs.subList(i, Math.min(rows, i + 10_000))));
                }
                double rawWrite = rows / seconds(t0);

                // dbsync read of raw_write (snapshot chunks of 10,000) vs raw find iteration of the same collection
                t0 = System.nanoTime();
                long n = 0;
                try (MongoCursor<BsonDocument> c = db.getCollection("raw_write", BsonDocument.class).find()
                        .sort(new BsonDocument("_id", new BsonInt32(1))).batchSize(10_000).iterator()) {
                    while (c.hasNext()) {
                        c.next();
                        n++;
                    }
                }
                double rawRead = n / seconds(t0);
                // the raw driver running the connector's own keyset queries: find({_id: {$gt: last}}).sort(_id).limit(10000)
                t0 = System.nanoTime();
                long keyset = 0;
                org.bson.BsonValue last = null;
                while (true) {
                    List<BsonDocument> chunk = db.getCollection("raw_write", BsonDocument.class)
                            .find(last == null ? new BsonDocument() : new BsonDocument("_id", new BsonDocument("$gt", last)))
                            .sort(new BsonDocument("_id", new BsonInt32(1))).limit(10_000).batchSize(10_000).into(new ArrayList<>());
                    keyset += chunk.size();
                    if (chunk.size() < 10_000) {
                        break;
                    }
                    last = chunk.get(chunk.size() - 1).get("_id");
                }
                double rawKeyset = keyset / seconds(t0);
                MongoSource source = new MongoSource(dev.dbsync.config.Config.of(MongoSettings.source(), settings));
                TableSpec spec = TableSpec.of("raw_write");
                TableSchema schema = source.describe(spec);
                List<List<ChangeEvent>> chunks = new ArrayList<>();
                t0 = System.nanoTime();
                Position after = null;
                long read = 0;
                while (true) {
                    Chunk c = source.readSnapshot(spec, schema, after, 10_000);
                    read += c.events().size();
                    chunks.add(c.events());
                    after = c.next();
                    if (c.last()) {
                        break;
                    }
                }
                double dbsyncRead = read / seconds(t0);
                source.close();

                // dbsync write of what it read (unversioned snapshot rows: ReplaceOne upserts) into a new collection
                Sink sink = new MongoSinkFactory().create(dev.dbsync.config.Config.of(MongoSettings.sink(), settings));
                TableSchema target = schema.withName("dbsync_write");
                TableWriter w = sink.open(target);
                t0 = System.nanoTime();
                long written = 0;
                for (List<ChangeEvent> c : chunks) {
                    if (!c.isEmpty()) {
                        written += w.write(Batch.of(target, c)).upserted();
                    }
                }
                w.flush();
                double dbsyncWrite = written / seconds(t0);
                w.close();
                sink.close();
                if (read != rows || written != rows || n != rows || keyset != rows) {
                    throw new IllegalStateException("counts differ: raw read " + n + ", dbsync read " + read + ", written " + written);
                }
                System.out.printf("round %d: read  dbsync %,.0f rows/s  raw find %,.0f rows/s  ratio %.2f  raw keyset chunks %,.0f rows/s"
                        + "  ratio %.2f%n", round, dbsyncRead, rawRead, dbsyncRead / rawRead, rawKeyset, dbsyncRead / rawKeyset);
                System.out.printf("round %d: write dbsync %,.0f rows/s  raw insertMany %,.0f rows/s  ratio %.2f"
                        + " (dbsync writes replace-upserts, the raw driver plain inserts)%n", round, dbsyncWrite, rawWrite, dbsyncWrite / rawWrite);
            }
            db.drop();
        } finally {
            if (imitation != null) {
                imitation.shutdownNow();
            }
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
