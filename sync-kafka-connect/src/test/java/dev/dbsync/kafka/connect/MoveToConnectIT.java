package dev.dbsync.kafka.connect;

import dev.dbsync.kafka.KafkaTestCluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's move from the embedded engine to Connect without a new snapshot: a CDC pipeline runs embedded,
 * changes happen while it is stopped, the source connector is created stopped, its offsets are set from the
 * engine's checkpoints, and once resumed only the changes reach Kafka (no snapshot record) and the target equals
 * the source.
 */
class MoveToConnectIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaTestCluster kafka = KafkaTestCluster.get();
    private final PostgresServer pg = PostgresServer.get();

    @TempDir
    Path checkpoints;

    @Test
    void embeddedPipelineMovesToConnectWithoutANewSnapshot() throws Exception {
        String src = pg.createDatabase("move_src");
        String dst = pg.createDatabase("move_dst");
        String slot = "move_" + ProcessHandle.current().pid();
        String prefix = "mv" + System.nanoTime();
        exec(src, "CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount numeric(10,2))",
                "INSERT INTO orders SELECT i, 'n' || i, i FROM generate_series(1, 2000) i");
        Connectors c = Connectors.load();
        Map<String, Object> srcCfg = new HashMap<>(pgConfig(src));
        srcCfg.put("slot.name", slot);
        srcCfg.put("publication.name", slot);
        CheckpointStore store = CheckpointStores.file(checkpoints);
        SyncReport r;
        try (SyncEngine e = SyncEngine.builder().pipeline("move").source(c.createSource("postgres", srcCfg))
                .sink(c.createSink("postgres", pgConfig(dst))).checkpointStore(store)
                .table(TableSync.cdc(TableSpec.of("public.orders"))).streamIdle(Duration.ofSeconds(1)).build()) {
            r = e.runOnce();
        }
        assertTrue(r.succeeded(), r.toText());
        exec(src, "UPDATE orders SET note = 'changed while moving' WHERE id <= 5", "DELETE FROM orders WHERE id = 10",
                "INSERT INTO orders VALUES (5000, 'new', 1)");

        CheckpointStore reader = CheckpointStores.file(checkpoints);
        String feed = JSON.readTree(reader.load("move", "__stream__").orElseThrow()).path("changesFrom").asText();
        assertTrue(!feed.isEmpty(), "the engine saved its feed position");

        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(prefix + ".public.orders", Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
        ConnectWorker w = ConnectWorker.start(kafka.bootstrap(), "move-" + prefix, "w");
        try {
            ObjectNode sink = JSON.createObjectNode();
            sink.put("connector.class", DbsyncSinkConnector.class.getName());
            sink.put("topics", prefix + ".public.orders");
            sink.put("dbsync.connector", "postgres");
            pgConfig(dst).forEach((k, v) -> sink.put("postgres." + k, v.toString()));
            w.putConnector("sink-" + prefix, sink.toString());

            ObjectNode source = JSON.createObjectNode();
            source.put("connector.class", DbsyncSourceConnector.class.getName());
            source.put("dbsync.connector", "postgres");
            srcCfg.forEach((k, v) -> source.put("postgres." + k, v.toString()));
            source.put("dbsync.tables", "public.orders");
            source.put("dbsync.topic.prefix", prefix);
            String name = "source-" + prefix;
            ObjectNode create = JSON.createObjectNode();
            create.put("name", name);
            create.set("config", source);
            create.put("initial_state", "STOPPED");
            retry(() -> w.request("POST", "/connectors", create.toString()), 201, "create stopped");

            ObjectNode body = JSON.createObjectNode();
            ArrayNode offsets = body.putArray("offsets");
            ObjectNode table = offsets.addObject();
            table.putObject("partition").put("pipeline", name).put("table", "public.orders");
            table.putObject("offset").put("phase", "done");
            ObjectNode stream = offsets.addObject();
            stream.putObject("partition").put("pipeline", name).put("feed", "stream");
            stream.putObject("offset").put("position", feed);
            retry(() -> w.request("PATCH", "/connectors/" + name + "/offsets", body.toString()), 200, "set offsets");
            System.out.println("offsets before resume: " + w.request("GET", "/connectors/" + name + "/offsets", null).body());
            retry(() -> w.request("PUT", "/connectors/" + name + "/resume", null), 202, "resume");

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!rows(src).equals(rows(dst)) && System.nanoTime() < deadline) {
                Thread.sleep(250);
            }
            assertEquals(rows(src), rows(dst), "target equals source after the move");
            Map<String, Integer> ops = ops(prefix + ".public.orders");
            assertEquals(0, ops.getOrDefault("r", 0), "no snapshot after the move: " + ops);
            assertTrue(ops.getOrDefault("u", 0) >= 5 && ops.getOrDefault("d", 0) == 1 && ops.getOrDefault("c", 0) == 1,
                    "exactly the changes made while moving: " + ops);
            w.request("DELETE", "/connectors/" + name, null);
        } finally {
            w.close();
            Thread.sleep(500);
            try {
                exec(src, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    interface Call {
        HttpResponse<String> call() throws Exception;
    }

    private static void retry(Call c, int expected, String what) throws Exception {
        HttpResponse<String> last = null;
        for (int i = 0; i < 60; i++) {
            last = c.call();
            if (last.statusCode() == expected || last.statusCode() / 100 == 2) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(what + ": " + last.statusCode() + " " + last.body());
    }

    private Map<String, Integer> ops(String topic) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", kafka.bootstrap());
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("isolation.level", "read_committed");
        Map<String, Integer> ops = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                        JsonNode v = JSON.readTree(r.value());
                        ops.merge(v.path("payload").path("op").asText(), 1, Integer::sum);
                    }
                }
            }
        }
        return ops;
    }

    private Map<String, Object> pgConfig(String url) {
        return pg.settings(url);
    }

    private void exec(String url, String... sql) throws Exception {
        try (Connection conn = pg.connect(url); Statement s = conn.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    private List<String> rows(String url) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection conn = pg.connect(url); Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT t::text FROM orders t ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
