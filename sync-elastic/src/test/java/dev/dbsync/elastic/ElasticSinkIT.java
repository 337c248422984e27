package dev.dbsync.elastic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.ResponseException;
import org.junit.jupiter.api.Test;

/**
 * What users of other Elasticsearch sinks report most, against a real server: bulk items rejected one by one and
 * lost without a word, overload (429) items dropped instead of resent, deletes without versions letting an older
 * replay bring a row back; plus the mappings created from the schema and TRUNCATE through an alias.
 */
class ElasticSinkIT {

    private static int seq;
    private final String run = "sink_it_" + Long.toString(System.currentTimeMillis() % 1_000_000, 36) + "_" + (++seq);

    private static TableSchema schema(String name) {
        return new TableSchema(name, List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("title", LogicalType.STRING),
                Column.decimal("price", 12, 2),
                new Column("changed_at", LogicalType.TIMESTAMP_TZ, true, 6, 0, null, null),
                new Column("day", LogicalType.DATE, true, 0, 0, null, null),
                Column.of("attrs", LogicalType.JSON)), List.of("id"));
    }

    private static ChangeEvent up(TableSchema s, long id, String title, Object attrs, long version) {
        Object[] key = {id};
        return ChangeEvent.upsert(s.name(), key, new Object[] {id, title, new BigDecimal("19.90"), null, null, attrs}, version,
                Position.of(key));
    }

    private static ChangeEvent del(TableSchema s, long id, long version) {
        Object[] key = {id};
        return ChangeEvent.delete(s.name(), key, null, version, Position.of(key));
    }

    private static Map<Long, String> titles(String table) {
        Map<Long, String> out = new java.util.TreeMap<>();
        for (Map<String, Object> row : ElasticTesting.read(table)) {
            out.put(((Number) row.get("id")).longValue(), (String) row.get("title"));
        }
        return out;
    }

    @Test
    void aRowTheMappingRejectsFailsAloneWithTheServersReasonAndTheRestIsApplied() {
        TableSchema s = schema(run + "_items");
        try (ElasticSink sink = ElasticTesting.sink(Map.of("json.mapping", "object")); TableWriter w = sink.open(s)) {
            // attrs.size is a number first, then an object: Elasticsearch refuses the second document only
            WriteResult r = w.write(Batch.of(s, List.of(up(s, 1, "one", Map.of("size", 42), 0),
                    up(s, 2, "two", Map.of("size", Map.of("w", 3)), 0), up(s, 3, "three", Map.of("size", 7), 0),
                    up(s, 4, "tags", List.of("a", "b"), 0))));
            w.flush();
            assertEquals(2, r.upserted());
            assertEquals(2, r.failed().size(), "the rejected rows are reported: " + r.failed());
            // an array of scalars cannot be an object field: refused before sending, with the setting that keeps it
            WriteResult.FailedEvent tags = r.failed().get(0);
            assertEquals(List.of(4L), tags.event().key());
            assertTrue(tags.reason().contains("json.mapping"), tags.reason());
            WriteResult.FailedEvent f = r.failed().get(1);
            assertEquals(List.of(2L), f.event().key());
            assertTrue(f.reason().contains("parsing_exception") && f.reason().contains("attrs"), f.reason());
            assertEquals(Map.of(1L, "one", 3L, "three"), titles(s.name()));
        }
    }

    @Test
    void overloadedItemsAreResentAloneUntilTheServerTakesThem() throws Exception {
        TableSchema s = schema(run + "_busy");
        try (ElasticSink sink = ElasticTesting.sink(Map.of("retry.initial.backoff", "50ms", "retry.max.backoff", "200ms",
                "retry.max.attempts", "100")); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, List.of(up(s, 1, "before", null, 0))));
            String index = Docs.indexName("", s.name());
            // the flood-stage block: every write to the index is answered 429 per item until it is lifted
            settings(sink, index, "{\"index.blocks.read_only_allow_delete\": true}");
            List<ChangeEvent> batch = new ArrayList<>();
            for (long id = 2; id <= 50; id++) {
                batch.add(up(s, id, "t" + id, null, 0));
            }
            CompletableFuture<WriteResult> pending = CompletableFuture.supplyAsync(() -> w.write(Batch.of(s, batch)));
            Thread.sleep(700);
            assertTrue(!pending.isDone(), "the writer waits while the server refuses");
            settings(sink, index, "{\"index.blocks.read_only_allow_delete\": null}");
            WriteResult r = pending.get(30, TimeUnit.SECONDS);
            assertEquals(49, r.upserted());
            assertTrue(r.failed().isEmpty(), "overload is no row's fault: " + r.failed());
            w.flush();
            assertEquals(50, titles(s.name()).size());

            // when the server keeps refusing, the write fails as retriable (the engine retries it), nothing is dropped
            settings(sink, index, "{\"index.blocks.read_only_allow_delete\": true}");
            try (ElasticSink impatient = ElasticTesting.sink(Map.of("retry.initial.backoff", "10ms", "retry.max.attempts", "3"));
                 TableWriter w2 = impatient.open(s)) {
                RetriableException e = assertThrows(RetriableException.class, () -> w2.write(Batch.of(s, List.of(up(s, 99, "x", null, 0)))));
                assertTrue(e.getMessage().contains("overloaded") && e.getMessage().contains(s.name()), e.getMessage());
            } finally {
                settings(sink, index, "{\"index.blocks.read_only_allow_delete\": null}");
            }
        }
    }

    @Test
    void versionedDeletesLeaveATombstoneSoAnOlderReplayCannotBringTheRowBack() {
        TableSchema s = schema(run + "_versions");
        try (ElasticSink sink = ElasticTesting.sink(Map.of()); TableWriter w = sink.open(s)) {
            w.write(Batch.of(s, List.of(up(s, 1, "v100", null, 100), up(s, 2, "v100", null, 100))));
            WriteResult d = w.write(Batch.of(s, List.of(del(s, 1, 200), del(s, 3, 300))));
            assertEquals(2, d.deleted(), "deleting a missing key is applied, not failed");
            // replays of older changes arrive after the deletes (and one for a key deleted before it ever existed)
            WriteResult replay = w.write(Batch.of(s, List.of(up(s, 1, "v150 replayed", null, 150), up(s, 3, "v250 replayed", null, 250),
                    up(s, 2, "v90 replayed", null, 90))));
            assertEquals(3, replay.skipped(), "stale replays are skipped: " + replay);
            assertEquals(0, replay.upserted());
            assertTrue(replay.failed().isEmpty(), "a stale write is no failure");
            WriteResult again = w.write(Batch.of(s, List.of(up(s, 2, "v100 again", null, 100))));
            assertEquals(1, again.upserted(), "an equal version is applied again (idempotent)");
            w.flush();
            assertEquals(Map.of(2L, "v100 again"), titles(s.name()));
            // unversioned writes (sources without versions) overwrite as plain index operations
            WriteResult plain = w.write(Batch.of(s, List.of(up(s, 2, "plain", null, 0))));
            assertEquals(1, plain.upserted());
            w.flush();
            assertEquals(Map.of(2L, "plain"), titles(s.name()));
        }
    }

    @Test
    void indexesAreCreatedWithExplicitMappingsFromTheSchema() {
        TableSchema s = schema(run + "_Mapped");
        try (ElasticSink sink = ElasticTesting.sink(Map.of("dynamic", "strict", "index.prefix", "p_")); TableWriter w = sink.open(s)) {
            String index = Docs.indexName("p_", s.name());
            assertNotEquals("p_" + s.name(), index, "an upper-case table name gets a valid index name");
            JsonNode m = sink.connection().call("mapping", new Request("GET", "/" + index + "/_mapping")).path(index).path("mappings");
            JsonNode p = m.path("properties");
            assertEquals("strict", m.path("dynamic").asText());
            assertEquals("long", p.path("id").path("type").asText());
            assertEquals("text", p.path("title").path("type").asText());
            assertEquals("keyword", p.path("title").path("fields").path("keyword").path("type").asText());
            assertEquals("keyword", p.path("price").path("type").asText(), "decimals keep their digits");
            assertEquals("double", p.path("price").path("fields").path("num").path("type").asText());
            assertEquals("date_nanos", p.path("changed_at").path("type").asText(), "microseconds need date_nanos");
            assertEquals("date", p.path("day").path("type").asText());
            assertEquals("flattened", p.path("attrs").path("type").asText());
            assertEquals("id", m.path("_meta").path("dbsync").path("key").path(0).asText());
            // strict: a document with a field the schema lacks is refused by the server
            Request r = new Request("PUT", "/" + index + "/_doc/x");
            r.setEntity(new NStringEntity("{\"id\": 1, \"surprise\": true}", ContentType.APPLICATION_JSON));
            ResponseException e = assertThrows(ResponseException.class, () -> sink.connection().rest.performRequest(r));
            assertTrue(ElasticSink.errorText(e).contains("strict_dynamic_mapping_exception"));
            // a later schema with a changed type is refused on open, naming the table
            TableSchema changed = new TableSchema(s.name(), List.of(Column.required("id", LogicalType.INT64),
                    Column.of("title", LogicalType.INT64)), List.of("id"));
            SyncException bad = assertThrows(SyncException.class, () -> sink.open(changed));
            assertTrue(bad.getMessage().contains(s.name()), bad.getMessage());
        }
    }

    @Test
    void truncateThroughAnAliasSwapsInAnEmptyIndexAtOnce() {
        TableSchema s = schema(run + "_aliased");
        try (ElasticSink sink = ElasticTesting.sink(Map.of("index.alias", "true")); TableWriter w = sink.open(s)) {
            String alias = Docs.indexName("", s.name());
            assertEquals(alias + "-g1", sink.aliasTarget(alias));
            w.write(Batch.of(s, List.of(up(s, 1, "old", null, 0))));
            w.flush();
            w.truncate();
            assertEquals(alias + "-g2", sink.aliasTarget(alias));
            ResponseException gone = assertThrows(ResponseException.class,
                    () -> sink.connection().rest.performRequest(new Request("GET", "/" + alias + "-g1")));
            assertEquals(404, gone.getResponse().getStatusLine().getStatusCode(), "the old generation is deleted");
            w.write(Batch.of(s, List.of(up(s, 2, "new", null, 0))));
            w.flush();
            assertEquals(Map.of(2L, "new"), titles(s.name()));
        }
    }

    @Test
    void aKeyLongerThanTheIdLimitFailsAlone() {
        TableSchema s = new TableSchema(run + "_longkey", List.of(Column.required("k", LogicalType.STRING), Column.of("v", LogicalType.STRING)),
                List.of("k"));
        try (ElasticSink sink = ElasticTesting.sink(Map.of()); TableWriter w = sink.open(s)) {
            String longKey = "k".repeat(600);
            WriteResult r = w.write(Batch.of(s, List.of(
                    ChangeEvent.upsert(s.name(), new Object[] {longKey}, new Object[] {longKey, "x"}, 0, Position.of(longKey)),
                    ChangeEvent.upsert(s.name(), new Object[] {"short"}, new Object[] {"short", "y"}, 0, Position.of("short")))));
            assertEquals(1, r.upserted());
            assertEquals(1, r.failed().size());
            assertTrue(r.failed().get(0).reason().contains("512"), r.failed().get(0).reason());
        }
    }

    private static void settings(ElasticSink sink, String index, String body) {
        Request r = new Request("PUT", "/" + index + "/_settings");
        r.setEntity(new NStringEntity(body, ContentType.APPLICATION_JSON));
        sink.connection().call("settings", r);
    }
}
