package dev.dbsync.kafka.connect;

import dev.dbsync.kafka.KafkaTestCluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL → Connect → Kafka → Connect → PostgreSQL with the workers in their own JVMs: the worker running the
 * change-feed task is killed with SIGKILL mid-snapshot, a fresh worker joins, and the worker running the task
 * then is killed again mid-stream. The tasks move to the survivors each time; at the end the target equals the
 * source row by row (no row lost, none left over) and the replication slot has advanced.
 */
class KilledWorkerIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaTestCluster kafka = KafkaTestCluster.get();
    private final PostgresServer pg = PostgresServer.get();
    private final ClickHouseServer ch = ClickHouseServer.get();
    private final List<Process> children = new ArrayList<>();
    private final AtomicLong restarts = new AtomicLong();

    /** A worker JVM and its REST client. */
    private record Child(Process process, ConnectWorker rest) {
    }

    /** Launches a worker JVM; {@link #ready} waits for its REST API. */
    private Child launch(String group, String name) throws Exception {
        int port = ConnectWorker.freePort();
        Path log = Paths.get("target", "worker-" + name + "-" + port + ".log");
        Files.createDirectories(log.getParent());
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"), ChildWorker.class.getName(),
                kafka.bootstrap(), group, Integer.toString(port)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        children.add(p);
        return new Child(p, ConnectWorker.remote(port, name));
    }

    private static Child ready(Child c) throws Exception {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try {
                if (c.rest().request("GET", "/connectors", null).statusCode() == 200) {
                    System.out.printf("worker %s answered after %.1f s more%n", c.rest().name(), (System.nanoTime() - start) / 1e9);
                    return c;
                }
            } catch (Exception notYet) {
                // still starting
            }
            if (!c.process().isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("worker " + c.rest().name() + " did not start; see its log under target/");
            }
            Thread.sleep(300);
        }
    }

    @Test
    void feedTaskSurvivesSigkillMidSnapshotAndMidStream() throws Exception {
        String src = pg.createDatabase("killed_src");
        String dst = pg.createDatabase("killed_dst");
        String slot = "killed_" + ProcessHandle.current().pid();
        String prefix = "kx" + System.nanoTime();
        int orders = 10_000;
        exec(src, "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), note text)",
                "INSERT INTO orders SELECT i, 'c' || (i % 97), i * 1.25, repeat('x', 100) FROM generate_series(1, " + orders + ") i");
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(prefix + ".public.orders", Optional.of(3), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
        String group = "killed-" + prefix;
        Child w1 = launch(group, "w1");
        Child w2 = launch(group, "w2");
        ready(w1);
        ready(w2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        Thread writer = new Thread(() -> write(src, stop, writes, orders), "source-writer");
        try {
            ObjectNode sink = JSON.createObjectNode();
            sink.put("connector.class", DbsyncSinkConnector.class.getName());
            sink.put("tasks.max", "2");
            sink.put("topics", prefix + ".public.orders");
            sink.put("dbsync.connector", "postgres");
            sink.put("postgres.url", dst);
            credentials(sink);
            w1.rest().putConnector("sink-" + prefix, sink.toString());
            // the same topic into ClickHouse too, in a database of its own (other tests write tables named orders)
            String chDb = ("killed_" + prefix).toLowerCase();
            ch.query("CREATE DATABASE IF NOT EXISTS `" + chDb + "`");
            ObjectNode chSink = JSON.createObjectNode();
            chSink.put("connector.class", DbsyncSinkConnector.class.getName());
            chSink.put("tasks.max", "2");
            chSink.put("topics", prefix + ".public.orders");
            chSink.put("dbsync.connector", "clickhouse");
            chSink.put("clickhouse.url", ch.httpUrl());
            chSink.put("clickhouse.database", chDb);
            if (ch.username() != null) {
                chSink.put("clickhouse.user", ch.username());
            }
            if (ch.password() != null && !ch.password().isEmpty()) {
                chSink.put("clickhouse.password", ch.password());
            }
            w1.rest().putConnector("chsink-" + prefix, chSink.toString());
            ObjectNode source = JSON.createObjectNode();
            source.put("connector.class", DbsyncSourceConnector.class.getName());
            source.put("dbsync.connector", "postgres");
            source.put("postgres.url", src);
            source.put("postgres.slot.name", slot);
            source.put("postgres.publication.name", slot);
            credentials(source);
            source.put("dbsync.tables", "public.orders");
            source.put("dbsync.topic.prefix", prefix);
            source.put("dbsync.batch.rows", "200");
            source.put("dbsync.poll.interval.ms", "200");
            w1.rest().putConnector("source-" + prefix, source.toString());
            System.out.println("connectors created");

            // 1. SIGKILL the feed task's worker while the snapshot is under way
            waitUntil(() -> count(dst) > 0, 90, "the snapshot reaching the target");
            Child victim = holder(List.of(w1, w2), "source-" + prefix);
            long atKill = count(dst);
            victim.process().destroyForcibly().waitFor();
            assertTrue(atKill < orders, "killed mid-snapshot (" + atKill + " of " + orders + " rows in the target)");
            Child survivor = victim == w1 ? w2 : w1;
            long t0 = System.nanoTime();
            Child w3 = launch(group, "w3");
            // the task goes to the survivor or to the worker joining now, whichever the rebalance picks
            waitUntil(() -> {
                String w = taskWorker(survivor.rest(), "source-" + prefix);
                return w.equals(survivor.rest().workerId()) || w.equals(w3.rest().workerId());
            }, 90, "feed task on a live worker after the first kill");
            double firstMove = (System.nanoTime() - t0) / 1e9;
            ready(w3);

            // 2. the snapshot completes, the feed streams; SIGKILL the task's worker mid-stream
            waitUntil(() -> count(dst) >= orders, 120, "snapshot complete in the target");
            writer.start();
            waitUntil(() -> writes.get() > 200, 60, "writers running");
            long lsnBefore = confirmedLsn(src, slot);
            Child second = holder(List.of(survivor, w3), "source-" + prefix);
            second.process().destroyForcibly().waitFor();
            Child last = second == survivor ? w3 : survivor;
            long t1 = System.nanoTime();
            waitUntil(() -> last.rest().workerId().equals(taskWorker(last.rest(), "source-" + prefix)), 90,
                    "feed task on the survivor after the second kill");
            double secondMove = (System.nanoTime() - t1) / 1e9;
            long at = writes.get();
            waitUntil(() -> writes.get() > at + 100, 60, "writes after the second kill");
            stop.set(true);
            writer.join();

            waitUntil(() -> rows(src).equals(rows(dst)), 120, "target equal to source");
            assertEquals(rows(src), rows(dst), "target equals source row by row");
            waitUntil(() -> amounts(src).equals(chOrders(chDb)), 120, "ClickHouse equal to source");
            assertEquals(amounts(src), chOrders(chDb), "ClickHouse's live rows equal the source's");
            waitUntil(() -> confirmedLsn(src, slot) > lsnBefore, 30, "slot advanced after the kills");
            // under exactly-once each snapshot row is in Kafka once for a read_committed consumer: no row twice, no row
            // inserted after the snapshot sent as a snapshot read; read_uncommitted also shows the records of the
            // transactions the kills aborted, counted beside it
            String topic = prefix + ".public.orders";
            SnapshotReads committed = snapshotReads(topic, "read_committed", orders);
            SnapshotReads uncommitted = snapshotReads(topic, "read_uncommitted", orders);
            System.out.printf("SIGKILL mid-snapshot (%d/%d rows): feed task moved in %.1f s; SIGKILL mid-stream: moved in %.1f s;"
                    + " %d writes; PostgreSQL and ClickHouse equal the source (%d rows); snapshot events in Kafka: %s; %s;"
                    + " failed tasks restarted through REST: %d%n",
                    atKill, orders, firstMove, secondMove, writes.get(), rows(src).size(), committed, uncommitted, restarts.get());
            assertEquals(orders, committed.keys(), "every snapshot row in Kafka (" + committed + ")");
            assertEquals(0, committed.duplicates(), "no snapshot row twice in Kafka (" + committed + ")");
            assertEquals(0, committed.outside(), "no row inserted after the snapshot sent as a snapshot read (" + committed + ")");
            assertEquals(orders, committed.events(), "one snapshot event per row (" + committed + ")");
            last.rest().request("DELETE", "/connectors/source-" + prefix, null);
            last.rest().request("DELETE", "/connectors/sink-" + prefix, null);
            last.rest().request("DELETE", "/connectors/chsink-" + prefix, null);
        } finally {
            stop.set(true);
            if (writer.isAlive()) {
                writer.join();
            }
            for (Process p : children) {
                p.destroyForcibly().waitFor();
            }
            try {
                Thread.sleep(500);
                exec(src, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
            } catch (Exception ignored) {
                // best effort: the slot may still be marked active for a moment
            }
        }
    }

    /**
     * The snapshot reads ({@code op r}) of a topic as one consumer of the given isolation level sees them: events,
     * distinct keys, events beyond the first of a key, keys outside the rows the snapshot had (1..rows), and the
     * ranges of keys seen more than once.
     */
    private record SnapshotReads(String isolation, int events, int keys, int duplicates, int outside, String twice) {
        @Override
        public String toString() {
            return String.format("%s %d events, %d keys, %d duplicates%s, %d outside the snapshot", isolation, events, keys,
                    duplicates, twice.isEmpty() ? "" : " (keys " + twice + ")", outside);
        }
    }

    private SnapshotReads snapshotReads(String topic, String isolation, int rows) throws Exception {
        java.util.Map<String, Object> p = new java.util.HashMap<>();
        p.put("bootstrap.servers", kafka.bootstrap());
        p.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        p.put("isolation.level", isolation);
        java.util.TreeMap<Long, Integer> seen = new java.util.TreeMap<>();
        int events = 0;
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> c = new org.apache.kafka.clients.consumer.KafkaConsumer<>(p)) {
            List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
            c.partitionsFor(topic).forEach(i -> tps.add(new org.apache.kafka.common.TopicPartition(topic, i.partition())));
            c.assign(tps);
            c.seekToBeginning(tps);
            // for read_committed the end offsets are the last stable offsets: every transaction before them is decided
            java.util.Map<org.apache.kafka.common.TopicPartition, Long> end = c.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r : c.poll(java.time.Duration.ofMillis(200))) {
                    if (r.value() != null && JSON.readTree(r.value()).path("payload").path("op").asText().equals("r")) {
                        events++;
                        seen.merge(JSON.readTree(r.key()).path("payload").path("id").asLong(), 1, Integer::sum);
                    }
                }
            }
        }
        int duplicates = 0;
        int outside = 0;
        StringBuilder twice = new StringBuilder();
        long from = -1;
        long prev = -1;
        for (java.util.Map.Entry<Long, Integer> e : seen.entrySet()) {
            if (e.getKey() < 1 || e.getKey() > rows) {
                outside++;
            }
            if (e.getValue() > 1) {
                duplicates += e.getValue() - 1;
                if (from < 0 || e.getKey() != prev + 1) {
                    if (from >= 0) {
                        twice.append(from).append('-').append(prev).append(' ');
                    }
                    from = e.getKey();
                }
                prev = e.getKey();
            }
        }
        if (from >= 0) {
            twice.append(from).append('-').append(prev);
        }
        return new SnapshotReads(isolation, events, seen.size(), duplicates, outside, twice.toString().trim());
    }

    private Child holder(List<Child> workers, String connector) throws Exception {
        for (int i = 0; i < 200; i++) {
            for (Child c : workers) {
                String w = taskWorker(c.rest(), connector);
                for (Child d : workers) {
                    if (d.rest().workerId().equals(w)) {
                        return d;
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no worker runs the task of " + connector);
    }

    private void credentials(ObjectNode n) {
        if (pg.username() != null) {
            n.put("postgres.user", pg.username());
        }
        if (pg.password() != null) {
            n.put("postgres.password", pg.password());
        }
    }

    /**
     * The worker id of the connector's first task while it runs. With exactly-once source support a new task
     * generation asks the group leader to fence the old one; when that leader is the worker just killed, Connect
     * fails the task for good ("until manually restarted"). The operator's answer is a REST restart, done here
     * and counted.
     */
    private String taskWorker(ConnectWorker w, String connector) {
        try {
            JsonNode s = JSON.readTree(w.request("GET", "/connectors/" + connector + "/status", null).body());
            JsonNode t = s.path("tasks").path(0);
            if (t.path("state").asText().equals("FAILED")) {
                restarts.incrementAndGet();
                System.out.println("task failed, restarting it through REST: " + t.path("trace").asText().lines().findFirst().orElse(""));
                w.request("POST", "/connectors/" + connector + "/tasks/" + t.path("id").asInt() + "/restart", null);
                return "";
            }
            return t.path("state").asText().equals("RUNNING") ? t.path("worker_id").asText() : "";
        } catch (Exception e) {
            return "";
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void waitUntil(Check c, int seconds, String what) throws Exception {
        long start = System.nanoTime();
        try {
            waitFor(c, seconds, what);
        } finally {
            System.out.printf("waited %.1f s for %s%n", (System.nanoTime() - start) / 1e9, what);
        }
    }

    private static void waitFor(Check c, int seconds, String what) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (c.ok()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("timed out after " + seconds + " s waiting for: " + what);
    }

    private void write(String url, AtomicBoolean stop, AtomicLong writes, int orders) {
        Random rnd = new Random(11);
        long next = 1_000_000;
        try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
            while (!stop.get()) {
                long id = 1 + rnd.nextInt(orders);
                switch (rnd.nextInt(4)) {
                    case 0 -> s.execute("INSERT INTO orders (id, customer, amount) VALUES (" + (next++) + ", 'new', 1.50)");
                    case 1, 2 -> s.execute("UPDATE orders SET amount = amount + 1, note = 'u' || amount WHERE id = " + id);
                    default -> s.execute("DELETE FROM orders WHERE id = " + id);
                }
                writes.incrementAndGet();
                Thread.sleep(3);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The source's orders as id|amount in cents, in id order. */
    private List<String> amounts(String url) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = pg.connect(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id || '|' || coalesce((amount * 100)::bigint::text, 'null') FROM orders ORDER BY id")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** ClickHouse's live orders in the same form. */
    private List<String> chOrders(String db) {
        String text = ch.query("SELECT concat(toString(id), '|', ifNull(toString(toInt64(amount * 100)), 'null')) FROM `" + db
                + "`.orders FINAL WHERE _is_deleted = 0 ORDER BY id");
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim());
            }
        }
        return out;
    }

    private long confirmedLsn(String url, String slot) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    private void exec(String url, String... sql) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    private long count(String url) {
        try (Connection c = pg.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            return 0;
        }
    }

    private List<String> rows(String url) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = pg.connect(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT t::text FROM orders t ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

}
