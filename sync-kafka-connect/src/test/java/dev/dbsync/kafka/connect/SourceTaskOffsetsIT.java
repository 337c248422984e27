package dev.dbsync.kafka.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.kafka.connect.TestTaskContext.Step;
import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * The source task's offsets against a real PostgreSQL, driven in this thread as Connect drives it (start, poll; a
 * restart is a new task given the offsets of the records a worker committed). A finished snapshot must say so in
 * an offset Connect commits: otherwise a task restarted after it "resumes" the snapshot after its last key and
 * sends every row inserted since as a snapshot read ({@code op r}) once more, beside the insert the change feed
 * already carried — the duplicates a killed worker left in Kafka even with exactly-once source support.
 */
class SourceTaskOffsetsIT {

    private static final int BATCH = 200;
    private final PostgresServer pg = PostgresServer.get();

    /** A table whose row count is a multiple of the batch: its last chunk is full, the read after it empty. */
    @Test
    void fullSnapshotEndingOnAFullChunkCommitsItsEndWithTheLastRow() throws Exception {
        String url = pg.createDatabase("offsets_full");
        exec(url, "CREATE TABLE orders (id bigint PRIMARY KEY, note text)",
                "INSERT INTO orders SELECT i, 'n' || i FROM generate_series(1, " + (2 * BATCH) + ") i");
        Map<String, String> props = props(url, "full", null);
        List<SourceRecord> first = drain(props, Map.of(), 2 * BATCH);
        assertEquals(2 * BATCH, first.size(), "one record per row");
        SourceRecord last = first.get(first.size() - 1);
        assertEquals("done", last.sourceOffset().get("phase"),
                "the last snapshot record's offset ends the snapshot: " + last.sourceOffset());

        // rows arriving after the snapshot; the restarted task resumes from what Connect committed with that record
        exec(url, "INSERT INTO orders SELECT i, 'late' FROM generate_series(1000001, 1000050) i");
        List<SourceRecord> again = drain(props, Map.of(last.sourcePartition(), new HashMap<>(last.sourceOffset())), 0);
        assertEquals(List.of(), ops(again), "a full snapshot that ended is not resumed after a restart");
    }

    /**
     * CDC: offsets a task committed before this fix (the finished snapshot's table offset still in phase
     * {@code snapshot}) together with a committed feed position: the feed is opened only after every snapshot ended,
     * so its position proves the snapshots done, and the restarted task sends the new rows once, as inserts.
     */
    @Test
    void cdcTaskWithACommittedFeedPositionNeverResumesASnapshot() throws Exception {
        String url = pg.createDatabase("offsets_cdc");
        String slot = "offsets_" + ProcessHandle.current().pid();
        exec(url, "CREATE TABLE orders (id bigint PRIMARY KEY, note text)",
                "INSERT INTO orders SELECT i, 'n' || i FROM generate_series(1, " + (2 * BATCH) + ") i");
        try {
            Map<String, String> props = props(url, "cdc", slot);
            List<SourceRecord> first = drain(props, Map.of(), 2 * BATCH);
            assertEquals(2 * BATCH, first.size(), "one record per row");
            SourceRecord last = first.get(first.size() - 1);
            assertEquals("done", last.sourceOffset().get("phase"), "the snapshot's end rides on its last row: " + last.sourceOffset());

            Map<String, Object> stale = new HashMap<>(last.sourceOffset());
            stale.put("phase", "snapshot");
            Map<String, String> feed = new java.util.LinkedHashMap<>();
            feed.put("pipeline", props.get("name"));
            feed.put("feed", "stream");
            Map<Map<String, ?>, Map<String, Object>> committed = new HashMap<>();
            committed.put(last.sourcePartition(), stale);
            committed.put(feed, Map.of("position", (String) last.sourceOffset().get("streamFrom")));
            exec(url, "INSERT INTO orders SELECT i, 'late' FROM generate_series(1000001, 1000020) i");
            List<SourceRecord> again = drain(props, committed, 20);
            List<String> ops = ops(again);
            assertEquals(20, ops.size(), "the 20 new rows once each: " + ops);
            assertTrue(ops.stream().allMatch("c"::equals), "from the change feed as inserts, no snapshot read: " + ops);
        } finally {
            exec(url, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND NOT active");
        }
    }

    /**
     * CDC over a table empty at its snapshot: the snapshot sends no record, so the table never gets an offset of
     * its own; the feed's offset names it, so a restarted task does not snapshot it again (that would send every row
     * inserted since as a snapshot read, beside the inserts the feed already sent).
     */
    @Test
    void cdcTableEmptyAtItsSnapshotIsNotSnapshottedAgainAfterARestart() throws Exception {
        String url = pg.createDatabase("offsets_empty");
        String slot = "offsets_empty_" + ProcessHandle.current().pid();
        exec(url, "CREATE TABLE orders (id bigint PRIMARY KEY, note text)");
        try {
            Map<String, String> props = props(url, "cdc", slot);
            // the first task snapshots nothing, opens the feed and sends the 20 rows inserted meanwhile
            List<SourceRecord> first = drain(props, Map.of(), 20, () -> exec(url,
                    "INSERT INTO orders SELECT i, 'n' || i FROM generate_series(1, 20) i"));
            assertEquals(List.of(), ops(first).stream().filter(o -> !o.equals("c")).toList(), "inserts only: " + ops(first));
            assertEquals(20, ops(first).size(), "the 20 inserts: " + ops(first));
            SourceRecord last = first.get(first.size() - 1);
            Map<Map<String, ?>, Map<String, Object>> committed = new HashMap<>();
            committed.put(last.sourcePartition(), new HashMap<>(last.sourceOffset()));
            exec(url, "INSERT INTO orders SELECT i, 'late' FROM generate_series(21, 30) i");
            List<String> ops = ops(drain(props, committed, 10, null));
            assertEquals(List.of("c", "c", "c", "c", "c", "c", "c", "c", "c", "c"), ops, "the 10 new rows once each, from the feed");
        } finally {
            exec(url, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND NOT active");
        }
    }

    private static List<String> ops(List<SourceRecord> records) {
        List<String> out = new ArrayList<>();
        for (SourceRecord r : records) {
            if (r.value() != null) {
                out.add(((Struct) r.value()).getString("op"));
            }
        }
        return out;
    }

    private Map<String, String> props(String url, String strategy, String slot) {
        Map<String, String> p = new HashMap<>();
        p.put("name", "offsets-" + strategy);
        p.put(AdapterConfig.CONNECTOR, "postgres");
        p.put("postgres.url", url);
        if (pg.username() != null) {
            p.put("postgres.user", pg.username());
        }
        if (pg.password() != null) {
            p.put("postgres.password", pg.password());
        }
        if (slot != null) {
            p.put("postgres.slot.name", slot);
            p.put("postgres.publication.name", slot);
        }
        p.put(AdapterConfig.TABLES, "public.orders");
        p.put(AdapterConfig.STRATEGY, strategy);
        p.put(AdapterConfig.BATCH_ROWS, Integer.toString(BATCH));
        p.put(AdapterConfig.POLL_INTERVAL_MS, "100");
        DbsyncSourceConnector connector = new DbsyncSourceConnector();
        connector.start(p);
        try {
            return connector.taskConfigs(1).get(0);
        } finally {
            connector.stop();
        }
    }

    /**
     * Starts a task over the given committed offsets and polls it until {@code expected} records came and then
     * until a few polls in a row bring nothing more (or 30 s passed); returns every record.
     */
    private static List<SourceRecord> drain(Map<String, String> props, Map<? extends Map<String, ?>, Map<String, Object>> committed,
            int expected) throws Exception {
        return drain(props, committed, expected, null);
    }

    /** As above, running {@code afterFirstQuietPoll} once the task first returned nothing (its snapshot over). */
    private static List<SourceRecord> drain(Map<String, String> props, Map<? extends Map<String, ?>, Map<String, Object>> committed,
            int expected, Step afterFirstQuietPoll) throws Exception {
        List<SourceRecord> out = new ArrayList<>();
        TestTaskContext.drain(props, committed, null, out, expected, afterFirstQuietPoll);
        return out;
    }

    private void exec(String url, String... sql) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }
}
