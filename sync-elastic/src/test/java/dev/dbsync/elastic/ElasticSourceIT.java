package dev.dbsync.elastic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.elasticsearch.client.Request;
import org.junit.jupiter.api.Test;

/** The source over an index dbsync did not write: schema from the mapping, a configured key, text keys sorted by .keyword. */
class ElasticSourceIT {

    private final String index = "foreign_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    @Test
    void readsAnIndexItDidNotWriteByAConfiguredKey() {
        try (ElasticSink admin = ElasticTesting.sink(Map.of()); ElasticSource source = ElasticTesting.source(Map.of())) {
            call(admin, "PUT", "/" + index, "{\"settings\":{\"number_of_replicas\":0},\"mappings\":{\"properties\":{"
                    + "\"sku\":{\"type\":\"text\",\"fields\":{\"keyword\":{\"type\":\"keyword\"}}},\"qty\":{\"type\":\"integer\"},"
                    + "\"seen\":{\"type\":\"date\"},\"gone\":{\"type\":\"boolean\"},\"meta\":{\"properties\":{\"a\":{\"type\":\"keyword\"}}}}}}");
            StringBuilder bulk = new StringBuilder();
            for (int i = 1; i <= 25; i++) {
                bulk.append("{\"index\":{\"_index\":\"").append(index).append("\"}}\n");
                bulk.append("{\"sku\":\"SKU-").append(String.format("%03d", i)).append("\",\"qty\":").append(i)
                        .append(",\"seen\":\"2024-03-01T10:00:00Z\",\"gone\":").append(i % 10 == 0).append(",\"meta\":{\"a\":\"x\"}}\n");
            }
            call(admin, "POST", "/_bulk?refresh=true", bulk.toString());

            SyncException noKey = assertThrows(SyncException.class, () -> source.describe(TableSpec.of(index)));
            assertTrue(noKey.getMessage().contains(index) && noKey.getMessage().contains("key"), noKey.getMessage());

            TableSpec spec = TableSpec.of(index).withKey("sku").withSoftDelete("gone");
            TableSchema schema = source.describe(spec);
            assertEquals(LogicalType.STRING, schema.column("sku").type());
            assertEquals(LogicalType.INT32, schema.column("qty").type());
            assertEquals(LogicalType.TIMESTAMP_TZ, schema.column("seen").type());
            assertEquals(LogicalType.JSON, schema.column("meta").type());
            assertTrue(source.listTables().contains(index), "listed: " + source.listTables());

            List<ChangeEvent> all = new ArrayList<>();
            Position after = null;
            for (int guard = 0; guard < 20; guard++) {
                Chunk c = source.readSnapshot(spec, schema, after, 7);
                all.addAll(c.events());
                after = c.next() == null ? after : c.next();
                if (c.last()) {
                    break;
                }
            }
            assertEquals(25, all.size());
            for (int i = 0; i < all.size(); i++) {
                assertEquals(String.format("SKU-%03d", i + 1), all.get(i).key().get(0), "key order by the keyword sub-field");
                assertEquals((i + 1) % 10 == 0 ? Operation.DELETE : Operation.UPSERT, all.get(i).operation());
                assertTrue(all.get(i).version() > 0, "versions from _seq_no");
            }
            assertEquals(Map.of("a", "x"), all.get(0).values().get(schema.indexOf("meta")));
        } finally {
            try (ElasticSink admin = ElasticTesting.sink(Map.of())) {
                call(admin, "DELETE", "/" + index, null);
            }
        }
    }

    private static void call(ElasticSink sink, String method, String path, String body) {
        Request r = new Request(method, path);
        if (body != null) {
            r.setEntity(new NStringEntity(body, ContentType.APPLICATION_JSON));
        }
        sink.connection().call(method + " " + path, r);
    }
}
