package dev.dbsync.kafka.connect;

import dev.dbsync.kafka.KafkaTestCluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.testkit.ClickHouseServer;
import dev.dbsync.testkit.PostgresServer;
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
 * PostgreSQL → (dbsync source connector, CDC) → Kafka → (dbsync sink connectors) → PostgreSQL and ClickHouse on two
 * distributed Connect workers in this JVM. While writers change the source, the worker running the change-feed task
 * is stopped mid-stream: its tasks move to the survivor, which resumes from Connect's committed offsets; at the end
 * both targets equal the source row by row (ClickHouse: its live rows, FINAL) and the replication slot has advanced
 * (the feed was acknowledged).
 */
class DistributedConnectIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaTestCluster kafka = KafkaTestCluster.get();
    private final PostgresServer pg = PostgresServer.get();
    private final ClickHouseServer ch = ClickHouseServer.get();

    @Test
    void twoWorkersOneStoppedMidStreamTargetEqualsSource() throws Exception {
        String src = pg.createDatabase("connect_src");
        String dst = pg.createDatabase("connect_dst");
        String slot = "connect_" + ProcessHandle.current().pid();
        String prefix = "cx" + System.nanoTime();
        exec(src, "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), placed timestamptz,"
                        + " tags text[], note text)",
                "CREATE TABLE items (order_id bigint, line int, qty int NOT NULL, price numeric(10,2), PRIMARY KEY (order_id, line))",
                "INSERT INTO orders SELECT i, 'c' || (i % 97), i * 1.25, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 second',"
                        + " ARRAY['t' || (i % 3)], CASE WHEN i % 7 = 0 THEN NULL ELSE 'n' || i END FROM generate_series(1, 4000) i",
                "INSERT INTO items SELECT i, l, l, l * 2.5 FROM generate_series(1, 4000) i, generate_series(1, 2) l");
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(prefix + ".public.orders", Optional.of(3), Optional.empty()),
                    new NewTopic(prefix + ".public.items", Optional.of(3), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }

        // the sink names targets by the topic's last part
        ch.query("DROP TABLE IF EXISTS orders");
        ch.query("DROP TABLE IF EXISTS items");
        String group = "connect-" + prefix;
        ConnectWorker a = ConnectWorker.start(kafka.bootstrap(), group, "A");
        ConnectWorker b = ConnectWorker.start(kafka.bootstrap(), group, "B");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        Thread writer = new Thread(() -> write(src, stop, writes), "source-writer");
        try {
            ObjectNode sink = JSON.createObjectNode();
            sink.put("connector.class", DbsyncSinkConnector.class.getName());
            sink.put("tasks.max", "2");
            sink.put("topics", prefix + ".public.orders," + prefix + ".public.items");
            sink.put("dbsync.connector", "postgres");
            sink.put("postgres.url", dst);
            putCredentials(sink);
            sink.put("errors.tolerance", "all");
            sink.put("errors.deadletterqueue.topic.name", prefix + "-dlq");
            sink.put("errors.deadletterqueue.topic.replication.factor", "1");
            sink.put("consumer.override.max.poll.records", "500");
            a.putConnector("sink-" + prefix, sink.toString());

            ObjectNode chSink = JSON.createObjectNode();
            chSink.put("connector.class", DbsyncSinkConnector.class.getName());
            chSink.put("tasks.max", "2");
            chSink.put("topics", prefix + ".public.orders," + prefix + ".public.items");
            chSink.put("dbsync.connector", "clickhouse");
            chSink.put("clickhouse.url", ch.httpUrl());
            chSink.put("clickhouse.database", ch.database());
            if (ch.username() != null) {
                chSink.put("clickhouse.user", ch.username());
            }
            if (ch.password() != null && !ch.password().isEmpty()) {
                chSink.put("clickhouse.password", ch.password());
            }
            chSink.put("errors.tolerance", "all");
            chSink.put("errors.deadletterqueue.topic.name", prefix + "-ch-dlq");
            chSink.put("errors.deadletterqueue.topic.replication.factor", "1");
            chSink.put("consumer.override.max.poll.records", "500");
            a.putConnector("chsink-" + prefix, chSink.toString());

            ObjectNode source = JSON.createObjectNode();
            source.put("connector.class", DbsyncSourceConnector.class.getName());
            source.put("tasks.max", "2");
            source.put("dbsync.connector", "postgres");
            source.put("postgres.url", src);
            source.put("postgres.slot.name", slot);
            source.put("postgres.publication.name", slot);
            putCredentials(source);
            source.put("dbsync.tables", "public.orders,public.items");
            source.put("dbsync.strategy", "cdc");
            source.put("dbsync.topic.prefix", prefix);
            source.put("dbsync.batch.rows", "500");
            source.put("dbsync.poll.interval.ms", "200");
            b.putConnector("source-" + prefix, source.toString());

            // the snapshot arrives, then the feed streams the writers' changes
            waitUntil(() -> count(dst, "orders") >= 4000 && count(dst, "items") >= 8000, 90, "snapshot in the target");
            writer.start();
            waitUntil(() -> writes.get() > 150, 60, "writers running");
            long lsnBefore = confirmedLsn(src, slot);
            // while writes keep the feed busy the slot moves only by the task's acknowledgements, which follow
            // Connect's committed offsets (flushed every 500 ms here)
            waitUntil(() -> confirmedLsn(src, slot) > lsnBefore, 30, "slot acknowledged while streaming");

            // stop the worker running the change-feed task, mid-stream
            String feedWorker = taskWorker(a, "source-" + prefix);
            ConnectWorker victim = feedWorker.equals(a.workerId()) ? a : b;
            ConnectWorker survivor = victim == a ? b : a;
            long t0 = System.nanoTime();
            victim.stop();
            waitUntil(() -> survivor.workerId().equals(taskWorker(survivor, "source-" + prefix)), 60, "feed task moved to the survivor");
            double movedIn = (System.nanoTime() - t0) / 1e9;
            long lsnAtMove = confirmedLsn(src, slot);
            long writesAtMove = writes.get();
            waitUntil(() -> writes.get() > writesAtMove + 100, 60, "more writes after the move");
            stop.set(true);
            writer.join();

            waitUntil(() -> rows(src, "orders").equals(rows(dst, "orders")) && rows(src, "items").equals(rows(dst, "items")), 90,
                    "target equal to source");
            assertEquals(rows(src, "orders"), rows(dst, "orders"));
            assertEquals(rows(src, "items"), rows(dst, "items"));
            try {
                waitUntil(() -> ordersKey(src).equals(chOrders()) && itemsKey(src).equals(chItems()), 90, "ClickHouse equal to source");
            } catch (AssertionError e) {
                System.out.println("DIFF orders " + diff(ordersKey(src), chOrders()) + " items " + diff(itemsKey(src), chItems()));
                throw e;
            }
            assertEquals(ordersKey(src), chOrders());
            assertEquals(itemsKey(src), chItems());
            waitUntil(() -> confirmedLsn(src, slot) > lsnAtMove, 30, "slot acknowledged after the move");
            assertNotEquals(lsnBefore, confirmedLsn(src, slot));
            JsonNode status = JSON.readTree(survivor.request("GET", "/connectors/sink-" + prefix + "/status", null).body());
            for (JsonNode t : status.path("tasks")) {
                assertEquals("RUNNING", t.path("state").asText(), status.toString());
                assertEquals(survivor.workerId(), t.path("worker_id").asText(), "sink tasks moved too: " + status);
            }
            System.out.printf("feed task moved to the survivor in %.1f s; %d writes; source, PostgreSQL and ClickHouse equal (%d orders)%n",
                    movedIn, writes.get(), rows(src, "orders").size());
            survivor.request("DELETE", "/connectors/source-" + prefix, null);
            survivor.request("DELETE", "/connectors/sink-" + prefix, null);
            survivor.request("DELETE", "/connectors/chsink-" + prefix, null);
        } finally {
            stop.set(true);
            if (writer.isAlive()) {
                writer.join();
            }
            a.close();
            b.close();
            try {
                exec(src, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
            } catch (Exception ignored) {
                // best effort: the database is dropped with the server
            }
        }
    }

    private void putCredentials(ObjectNode n) {
        if (pg.username() != null) {
            n.put("postgres.user", pg.username());
        }
        if (pg.password() != null) {
            n.put("postgres.password", pg.password());
        }
    }

    /** The worker id of the connector's first task, or "" while it has none. */
    private static String taskWorker(ConnectWorker w, String connector) {
        try {
            JsonNode s = JSON.readTree(w.request("GET", "/connectors/" + connector + "/status", null).body());
            JsonNode t = s.path("tasks").path(0);
            return t.path("state").asText().equals("RUNNING") ? t.path("worker_id").asText() : "";
        } catch (Exception e) {
            return "";
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void waitUntil(Check c, int seconds, String what) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (c.ok()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("timed out after " + seconds + " s waiting for: " + what);
    }

    private void write(String url, AtomicBoolean stop, AtomicLong writes) {
        Random rnd = new Random(7);
        long next = 100_000;
        try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
            while (!stop.get()) {
                long id = 1 + rnd.nextInt(4000);
                switch (rnd.nextInt(6)) {
                    case 0 -> s.execute("INSERT INTO orders (id, customer, amount) VALUES (" + next + ", 'new', 1.50);"
                            + "INSERT INTO items VALUES (" + (next++) + ", 1, 1, 9.99)");
                    case 1, 2 -> s.execute("UPDATE orders SET amount = amount + 1, note = 'u' || amount WHERE id = " + id);
                    case 3 -> s.execute("UPDATE items SET qty = qty + 1 WHERE order_id BETWEEN " + id + " AND " + (id + 20));
                    case 4 -> s.execute("DELETE FROM items WHERE order_id = " + id + " AND line = 2");
                    default -> s.execute("DELETE FROM orders WHERE id = " + id);
                }
                writes.incrementAndGet();
                Thread.sleep(3);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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

    private long count(String url, String table) {
        try (Connection c = pg.connect(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            return -1; // not created yet
        }
    }

    /** id|amount in cents of the source's orders, by id. */
    private List<String> ordersKey(String url) throws Exception {
        return query(url, "SELECT id || '|' || coalesce((amount * 100)::bigint::text, 'null') FROM orders ORDER BY id");
    }

    private List<String> itemsKey(String url) throws Exception {
        return query(url, "SELECT order_id || '|' || line || '|' || qty FROM items ORDER BY order_id, line");
    }

    private List<String> chOrders() {
        return lines(ch.query("SELECT concat(toString(id), '|', ifNull(toString(toInt64(amount * 100)), 'null')) FROM orders FINAL"
                + " WHERE _is_deleted = 0 ORDER BY id"));
    }

    private List<String> chItems() {
        return lines(ch.query("SELECT concat(toString(order_id), '|', toString(line), '|', toString(qty)) FROM items FINAL"
                + " WHERE _is_deleted = 0 ORDER BY order_id, line"));
    }

    private static String diff(List<String> a, List<String> b) {
        java.util.Set<String> onlyA = new java.util.TreeSet<>(a);
        onlyA.removeAll(b);
        java.util.Set<String> onlyB = new java.util.TreeSet<>(b);
        onlyB.removeAll(a);
        return a.size() + " vs " + b.size() + ", only in source " + onlyA.stream().limit(5).toList() + ", only in ClickHouse "
                + onlyB.stream().limit(5).toList();
    }

    private static List<String> lines(String tsv) {
        List<String> out = new ArrayList<>();
        for (String l : tsv.split("\n")) {
            if (!l.isEmpty()) {
                out.add(l);
            }
        }
        return out;
    }

    private List<String> query(String url, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = pg.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

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
