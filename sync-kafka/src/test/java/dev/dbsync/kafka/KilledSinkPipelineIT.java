package dev.dbsync.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The embedded engine's snapshot into the Kafka sink, its process killed with SIGKILL mid-way and the run finished
 * by another process, with transactions and the checkpoints in the sink's own store (each batch and its checkpoint
 * in one transaction). CDC: a {@code read_committed} consumer sees every row exactly once; the records of the
 * transaction the kill left open are visible to {@code read_uncommitted} consumers only, and are counted. FULL:
 * the engine starts a cut-short full snapshot again, after a truncate event, by design.
 */
class KilledSinkPipelineIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaTestCluster kafka = KafkaTestCluster.get();
    private final PostgresServer pg = PostgresServer.get();

    /** CDC: the snapshot resumes after the key checkpointed with the last committed batch. */
    @Test
    void aCdcSnapshotKilledMidWayIsInKafkaOnceForReadCommittedConsumers() throws Exception {
        String slot = "killed_sink_" + ProcessHandle.current().pid();
        Killed k = killMidWay("killed_sink_cdc", slot);
        try {
            assertEquals(ROWS, k.committed().keys(), "every row in Kafka (" + k.committed() + ")");
            assertEquals(0, k.committed().duplicates(), "no row twice for read_committed (" + k.committed() + ")");
            assertEquals(ROWS, k.committed().events(), "one event per row (" + k.committed() + ")");
            assertEquals(PARTITIONS, k.committed().truncates(), "only the snapshot's first truncate event, one a partition (" + k.committed() + ")");
        } finally {
            exec(k.url(), "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND NOT active");
        }
    }

    /**
     * FULL: the engine does not resume a full snapshot that was cut short, it starts it again so that the target is
     * one moment of the source: a truncate event on every partition, then every row once more. A consumer that
     * applies the events ends right; one that counts them sees the rows committed before the kill twice.
     */
    @Test
    void aFullSnapshotKilledMidWayStartsAgainAfterATruncateEvent() throws Exception {
        Killed k = killMidWay("killed_sink_full", null);
        int before = k.atKill().events();
        assertEquals(ROWS, k.committed().keys(), "every row in Kafka (" + k.committed() + ")");
        assertEquals(before, k.committed().duplicates(), "the rows committed before the kill, sent again (" + k.committed() + ")");
        assertEquals(2 * PARTITIONS, k.committed().truncates(), "a truncate event on each partition before each snapshot (" + k.committed() + ")");
    }

    private static final int ROWS = 10_000;
    private static final int PARTITIONS = 3;

    /** A run killed mid-way and finished by this process: the topic as seen at the kill and at the end. */
    private record Killed(String url, long sentAtKill, SnapshotReads atKill, SnapshotReads committed, SnapshotReads uncommitted) {
    }

    private Killed killMidWay(String db, String slot) throws Exception {
        String url = pg.createDatabase(db);
        exec(url, "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2))",
                "INSERT INTO orders SELECT i, 'c' || (i % 97), i * 1.25 FROM generate_series(1, " + ROWS + ") i");
        String prefix = "ks" + System.nanoTime();
        String checkpoints = prefix + "_checkpoints";
        String topic = prefix + ".public.orders";
        String user = pg.username() == null ? "-" : pg.username();
        String password = pg.password() == null ? "-" : pg.password();
        Path log = Paths.get("target", "killed-sink-" + prefix + ".log");
        Files.createDirectories(log.getParent());
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        // 40 ms before each batch of 200 rows: the child needs at least 2 s for the table, time to kill it mid-way
        Process child = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), SinkPipelineMain.class.getName(),
                kafka.bootstrap(), url, user, password, prefix, checkpoints, slot == null ? "-" : slot, "40")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long atKill;
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while ((atKill = snapshotReads(topic, "read_uncommitted").events()) < 2_000) {
                assertTrue(child.isAlive(), "the child ended before it could be killed; see " + log);
                assertTrue(System.nanoTime() < deadline, "the child sent too few rows in 90 s; see " + log);
                Thread.sleep(100);
            }
        } finally {
            child.destroyForcibly().waitFor();
        }
        SnapshotReads atKillCommitted = snapshotReads(topic, "read_committed");
        assertTrue(atKillCommitted.events() < ROWS, "killed mid-way: " + atKillCommitted);

        // this process finishes the run from the checkpoint committed with the last committed batch; the killed
        // holder's lease (TTL 2 s) may still stand for a moment
        SyncReport r = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (r == null) {
            try {
                r = SinkPipelineMain.run(kafka.bootstrap(), url, pg.username(), pg.password(), prefix, checkpoints, slot, 0);
                if (!r.succeeded() && r.toText().contains("lease") && System.nanoTime() < deadline) {
                    r = null;
                    Thread.sleep(500);
                }
            } catch (LeaseException held) {
                assertTrue(System.nanoTime() < deadline, "the killed process's lease still held after 30 s: " + held.getMessage());
                Thread.sleep(500);
            }
        }
        assertTrue(r.succeeded(), r.toText());
        SnapshotReads committed = snapshotReads(topic, "read_committed");
        SnapshotReads uncommitted = snapshotReads(topic, "read_uncommitted");
        System.out.printf("%s: SIGKILL ordered at %d snapshot records in the topic (%s after the kill); after the second run: %s; %s%n",
                slot == null ? "FULL" : "CDC", atKill, atKillCommitted, committed, uncommitted);
        return new Killed(url, atKill, atKillCommitted, committed, uncommitted);
    }

    private void exec(String url, String... sql) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    /** Snapshot reads ({@code op r}) as one consumer of the given isolation level sees them. */
    record SnapshotReads(String isolation, int events, int keys, int duplicates, int truncates) {
        @Override
        public String toString() {
            return String.format("%s %d events, %d keys, %d duplicates, %d truncates", isolation, events, keys, duplicates, truncates);
        }
    }

    private SnapshotReads snapshotReads(String topic, String isolation) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", kafka.bootstrap());
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("isolation.level", isolation);
        TreeMap<Long, Integer> seen = new TreeMap<>();
        int events = 0;
        int truncates = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            if (c.listTopics().get(topic) == null) {
                return new SnapshotReads(isolation, 0, 0, 0, 0);
            }
            c.partitionsFor(topic).forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            c.assign(tps);
            c.seekToBeginning(tps);
            // read_committed: the end offsets are the last stable offsets, before any transaction still open
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    String op = r.value() == null ? "" : JSON.readTree(r.value()).path("payload").path("op").asText();
                    if (op.equals("t")) {
                        truncates++;
                    }
                    if (op.equals("r")) {
                        events++;
                        seen.merge(JSON.readTree(r.key()).path("payload").path("id").asLong(), 1, Integer::sum);
                    }
                }
            }
        }
        int duplicates = seen.values().stream().mapToInt(n -> n - 1).sum();
        return new SnapshotReads(isolation, events, seen.size(), duplicates, truncates);
    }
}
