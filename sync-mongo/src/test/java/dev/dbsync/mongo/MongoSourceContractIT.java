package dev.dbsync.mongo;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.testkit.SourceContractTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The source contract against the test server. Tables are created and written through the MongoDB sink, which
 * records each table's schema: that is how a freshly created, still empty collection has columns and a key named
 * other than {@code _id} (MongoDB itself knows neither; see the README). MongoDB has no long-running writers to
 * wait for, so a late writer here is a client that took its cursor value and writes later, and the source's safe
 * bound is {@code incremental.lag} below the server's clock: 200 ms here, where writers and server share one clock.
 * The start of a table's incremental reads is (now − lag), so rows written within the lag before a run are read
 * once more by it; the suite's engine case expects none re-read, which holds when its rows were written more than the
 * lag before the run's incremental phase (see the README).
 */
class MongoSourceContractIT extends SourceContractTest {

    private static String database;
    private static Sink sink;

    @BeforeAll
    static void start() {
        MongoTestServer server = MongoTestServer.get();
        database = server.newDatabase();
        sink = new MongoSinkFactory().create(MongoTestServer.sinkConfig(database, Map.of()));
        System.out.println("MongoSourceContractIT runs against " + server.kind());
    }

    @AfterAll
    static void stop() {
        sink.close();
    }

    @Override
    protected Source newSource() {
        return new MongoSourceFactory().create(MongoTestServer.sourceConfig(database, Map.of(MongoSettings.INCREMENTAL_LAG, "200ms")));
    }

    @Override
    protected Duration safeBoundLag() {
        return Duration.ofMillis(300);
    }

    @Override
    protected String createTable(String baseName, TableSchema schema) {
        sink.open(schema).close();
        return baseName;
    }

    @Override
    protected void upsertRows(String table, TableSchema schema, List<List<Object>> rows) {
        List<ChangeEvent> events = new ArrayList<>();
        int[] k = schema.keyIndexes();
        for (List<Object> row : rows) {
            Object[] key = new Object[k.length];
            for (int i = 0; i < k.length; i++) {
                key[i] = row.get(k[i]);
            }
            events.add(ChangeEvent.upsert(table, key, row.toArray(), 0, Position.of(key)));
        }
        write(schema, events);
    }

    @Override
    protected void deleteRows(String table, TableSchema schema, List<List<Object>> keys) {
        List<ChangeEvent> events = new ArrayList<>();
        for (List<Object> key : keys) {
            events.add(ChangeEvent.delete(table, key.toArray(), null, 0, Position.of(key)));
        }
        write(schema, events);
    }

    private static void write(TableSchema schema, List<ChangeEvent> events) {
        try (TableWriter w = sink.open(schema)) {
            w.write(Batch.of(schema, events));
        }
    }

    @Override
    protected LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows) {
        // the cursor values are taken now; the documents land only at commit
        List<List<Object>> held = List.copyOf(rows);
        return () -> upsertRows(table, schema, held);
    }
}
