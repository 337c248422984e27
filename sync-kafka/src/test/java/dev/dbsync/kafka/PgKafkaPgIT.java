package dev.dbsync.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL → Kafka → PostgreSQL through the embedded engine: a CDC pipeline (snapshot, then the replication
 * slot's changes) into the Kafka sink, the events checked by a plain consumer (op codes, before images with
 * REPLICA IDENTITY FULL, tombstones), then the Kafka source reading the topics back into another PostgreSQL
 * database, which equals the source row by row (text form of every row).
 */
class PgKafkaPgIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaTestCluster kafka = KafkaTestCluster.get();
    private final PostgresServer pg = PostgresServer.get();

    @TempDir
    Path dir;

    @Test
    void postgresThroughKafkaIntoPostgresEqualsTheSource() throws Exception {
        String sourceUrl = pg.createDatabase("kafka_src");
        String targetUrl = pg.createDatabase("kafka_dst");
        String prefix = "rt" + System.nanoTime();
        String slot = "kafka_rt_" + ProcessHandle.current().pid();
        exec(sourceUrl,
                "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, balance numeric(12,2), born date,"
                        + " updated timestamptz, seen timestamp, tags text[], doc jsonb, uid uuid, active boolean, ratio double precision,"
                        + " photo bytea, note text)",
                "ALTER TABLE customers REPLICA IDENTITY FULL",
                "CREATE TABLE lines (order_id bigint, line int, qty int NOT NULL, price numeric(10,3), PRIMARY KEY (order_id, line))",
                "INSERT INTO customers SELECT i, 'name ' || i, i * 1.25, DATE '2000-01-01' + i, TIMESTAMPTZ '2024-01-01 10:00:00.123456+00' + i * INTERVAL '1 minute',"
                        + " TIMESTAMP '2024-05-05 05:05:05.5' + i * INTERVAL '1 second', ARRAY['t' || (i % 3), 'x'], jsonb_build_object('n', i, 'odd', i % 2 = 1),"
                        + " md5(i::text)::uuid, i % 2 = 0, i / 7.0, decode(lpad(to_hex(i), 8, '0'), 'hex'), CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || i END"
                        + " FROM generate_series(1, 500) i",
                "INSERT INTO lines SELECT i, l, l * 2, l * 1.125 FROM generate_series(1, 300) i, generate_series(1, 3) l");

        Connectors connectors = Connectors.load();
        Map<String, Object> kafkaSink = Map.of("bootstrap.servers", kafka.bootstrap(), "topic.prefix", prefix,
                "checkpoint.topic", prefix + "_checkpoints", "topic.partitions", "3");
        List<TableSync> tables = List.of(TableSync.cdc(TableSpec.of("public.customers")), TableSync.cdc(TableSpec.of("public.lines")));

        // run 1: snapshot and the (empty) feed; the checkpoints live in Kafka, written with the batches
        SyncReport r1 = toKafka(connectors, sourceUrl, slot, kafkaSink, tables);
        assertTrue(r1.succeeded(), r1.toText());
        exec(sourceUrl,
                "INSERT INTO customers (id, name, balance) VALUES (1001, 'fresh', 10.10), (1002, 'fresh2', NULL)",
                "UPDATE customers SET name = 'renamed', balance = balance + 1 WHERE id BETWEEN 10 AND 19",
                "DELETE FROM customers WHERE id IN (20, 21, 1002)",
                "UPDATE lines SET qty = qty + 100 WHERE order_id = 7",
                "DELETE FROM lines WHERE order_id = 8",
                "UPDATE customers SET doc = '{\"deep\": {\"a\": [1, 2, {\"b\": null}]}}', note = 'it''s \"quoted\" ✓' WHERE id = 30");
        // run 2: resumes from the checkpoints in Kafka and streams the changes
        SyncReport r2 = toKafka(connectors, sourceUrl, slot, kafkaSink, tables);
        assertTrue(r2.succeeded(), r2.toText());

        // the events, as any Kafka consumer sees them
        List<ConsumerRecord<byte[], byte[]>> customers = KafkaSinkIT.readAll(kafka.bootstrap(), prefix + ".public.customers",
                500 + 2 + 10 + 3 * 2 + 1, Duration.ofSeconds(20));
        Map<String, Integer> ops = new HashMap<>();
        int tombstones = 0;
        JsonNode renamed = null;
        for (ConsumerRecord<byte[], byte[]> r : customers) {
            if (r.value() == null) {
                tombstones++;
                continue;
            }
            JsonNode p = JSON.readTree(r.value()).path("payload");
            ops.merge(p.path("op").asText(), 1, Integer::sum);
            if (p.path("op").asText().equals("u") && p.path("after").path("id").asLong() == 10) {
                renamed = p;
            }
        }
        assertTrue(ops.getOrDefault("r", 0) >= 500, "snapshot rows are op r: " + ops);
        assertEquals(2, ops.getOrDefault("c", 0), "inserts are op c: " + ops);
        assertEquals(11, ops.getOrDefault("u", 0), "updates are op u: " + ops);
        assertEquals(3, ops.getOrDefault("d", 0), "deletes are op d: " + ops);
        assertEquals(3, tombstones, "a tombstone after each delete");
        assertEquals("name 10", renamed.path("before").path("name").asText(), "REPLICA IDENTITY FULL: the old row as before");
        assertEquals("renamed", renamed.path("after").path("name").asText());

        // Kafka → PostgreSQL with the Kafka source: positions are partition offsets in the checkpoint
        Map<String, Object> kafkaSource = Map.of("bootstrap.servers", kafka.bootstrap(), "topic.prefix", prefix);
        try (Source src = connectors.createSource("kafka", kafkaSource)) {
            List<String> listed = src.listTables();
            assertTrue(listed.containsAll(List.of("public.customers", "public.lines")), listed.toString());
        }
        SyncReport back = fromKafka(connectors, kafkaSource, targetUrl, tables);
        assertTrue(back.succeeded(), back.toText());
        assertEquals(rows(sourceUrl, "customers"), rows(targetUrl, "customers"), "customers: target equals source");
        assertEquals(rows(sourceUrl, "lines"), rows(targetUrl, "lines"), "lines: target equals source");

        // later changes reach the target through the same checkpoints, without reading the topics again
        exec(sourceUrl, "UPDATE customers SET name = 'third run' WHERE id = 1", "DELETE FROM lines WHERE order_id = 9");
        SyncReport r3 = toKafka(connectors, sourceUrl, slot, kafkaSink, tables);
        assertTrue(r3.succeeded(), r3.toText());
        exec(sourceUrl, "SELECT pg_drop_replication_slot('" + slot + "')");
        SyncReport again = fromKafka(connectors, kafkaSource, targetUrl, tables);
        assertTrue(again.succeeded(), again.toText());
        assertTrue(again.rowsRead() < 100, "the second read resumed from the saved offsets: " + again.toText());
        assertEquals(rows(sourceUrl, "customers"), rows(targetUrl, "customers"));
        assertEquals(rows(sourceUrl, "lines"), rows(targetUrl, "lines"));
    }

    private SyncReport toKafka(Connectors connectors, String sourceUrl, String slot, Map<String, Object> sinkCfg, List<TableSync> tables) {
        Source source = connectors.createSource("postgres", pgConfig(sourceUrl, Map.of("slot.name", slot, "publication.name", slot)));
        Sink sink = connectors.createSink("kafka", sinkCfg);
        try (SyncEngine engine = SyncEngine.builder().pipeline("pg_to_kafka").source(source).sink(sink).tables(tables)
                .batchRows(200).streamIdle(Duration.ofSeconds(2)).build()) {
            return engine.runOnce();
        }
    }

    private SyncReport fromKafka(Connectors connectors, Map<String, Object> sourceCfg, String targetUrl, List<TableSync> tables) {
        Source source = connectors.createSource("kafka", sourceCfg);
        Sink sink = connectors.createSink("postgres", pgConfig(targetUrl, Map.of()));
        try (SyncEngine engine = SyncEngine.builder().pipeline("kafka_to_pg").source(source).sink(sink).tables(tables)
                .checkpointStore(CheckpointStores.file(dir)).batchRows(200).streamIdle(Duration.ofSeconds(2)).build()) {
            return engine.runOnce();
        }
    }

    private Map<String, Object> pgConfig(String url, Map<String, Object> extra) {
        Map<String, Object> m = new HashMap<>(extra);
        m.putAll(pg.settings(url));
        return m;
    }

    private void exec(String url, String... sql) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    /** Every row in its text form, in key order. */
    private List<String> rows(String url, String table) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = pg.connect(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT t::text FROM " + table + " t ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
