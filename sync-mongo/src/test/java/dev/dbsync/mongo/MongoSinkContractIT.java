package dev.dbsync.mongo;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bson.BsonDocument;
import org.junit.jupiter.api.BeforeAll;

/** The sink contract against the test server (MongoDB, or the imitation: the output says which). */
class MongoSinkContractIT extends SinkContractTest {

    private static MongoTestServer server;
    private static String database;

    @BeforeAll
    static void start() {
        server = MongoTestServer.get();
        database = server.newDatabase();
        System.out.println("MongoSinkContractIT runs against " + server.kind());
    }

    @Override
    protected Sink newSink() {
        return new MongoSinkFactory().create(MongoTestServer.sinkConfig(database, Map.of()));
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        DocumentLayout layout = DocumentLayout.forSinkWritten(target, "_v");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BsonDocument d : server.client().getDatabase(database).getCollection(target.name(), BsonDocument.class).find()) {
            Object[] key = layout.key(d.get("_id"));
            Object[] values = layout.values(d, key);
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 0; i < values.length; i++) {
                row.put(target.columns().get(i).name(), values[i]);
            }
            rows.add(row);
        }
        return rows;
    }
}
