package dev.dbsync.elastic;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.testkit.SourceContractTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The source contract suite against a real Elasticsearch. Indexes are created and written by the connector's sink
 * (so they carry the schema in their mapping), with automatic refresh off and no refresh after writing: a document
 * becomes searchable only at a refresh, so every row the suite writes is "late" until the source refreshes the
 * index itself, including the late writer's rows with cursor values older than rows written after them. The source refreshes before each incremental read and bounds
 * it at the reader's clock before that refresh, less incremental.lag (here 5 ms: the suite's writers are this
 * process, so no request is on its way and no clock is skewed; the default is 2 s).
 */
class ElasticSourceContractIT extends SourceContractTest {

    private static final Map<String, String> SINK = Map.of("index.refresh.interval", "-1", "refresh.on.flush", "false");

    @Override
    protected Source newSource() {
        return ElasticTesting.source(Map.of("incremental.lag", "5ms"));
    }

    @Override
    protected String createTable(String baseName, TableSchema schema) {
        try (ElasticSink sink = ElasticTesting.sink(SINK); TableWriter w = sink.open(schema)) {
            return baseName;
        }
    }

    private static void write(TableSchema schema, List<ChangeEvent> events, boolean refresh) {
        try (ElasticSink sink = ElasticTesting.sink(Map.of("index.refresh.interval", "-1", "refresh.on.flush", String.valueOf(refresh)));
             TableWriter w = sink.open(schema)) {
            w.write(Batch.of(schema, events));
            w.flush();
        }
    }

    private static ChangeEvent upsert(TableSchema schema, List<Object> row) {
        Object[] key = {row.get(0)};
        return ChangeEvent.upsert(schema.name(), key, row.toArray(), 0, Position.of(key));
    }

    @Override
    protected void upsertRows(String table, TableSchema schema, List<List<Object>> rows) {
        List<ChangeEvent> events = new ArrayList<>();
        rows.forEach(r -> events.add(upsert(schema, r)));
        write(schema, events, false);
    }

    @Override
    protected void deleteRows(String table, TableSchema schema, List<List<Object>> keys) {
        List<ChangeEvent> events = new ArrayList<>();
        keys.forEach(k -> events.add(ChangeEvent.delete(schema.name(), k.toArray(), null, 0, Position.of(k))));
        write(schema, events, false);
    }

    @Override
    protected LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows) {
        List<ChangeEvent> events = new ArrayList<>();
        rows.forEach(r -> events.add(upsert(schema, r)));
        // indexed now, searchable only after a refresh (the index refreshes only when asked)
        write(schema, events, false);
        return () -> {
            try (ElasticSink sink = ElasticTesting.sink(SINK)) {
                sink.connection().call("refresh", new org.elasticsearch.client.Request("POST", "/" + Docs.indexName("", table) + "/_refresh"));
            }
        };
    }
}
