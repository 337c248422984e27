package dev.dbsync.kafka.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.kafka.connect.TestTaskContext.Step;
import dev.dbsync.testkit.PostgresServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * Rows PostgreSQL holds that the source can read only in part (a numeric NaN has no BigDecimal form) among good
 * rows, through the source task driven in this thread as Connect drives it: by default the task fails naming the
 * connector, table, key and column; with {@code dbsync.errors.tolerance=all} every good row is delivered, each
 * unreadable one is logged at WARN, counted in the task's metric and, with a dead-letter topic, sent there with the
 * poll's records; the offsets move past them, so a restarted task neither reads them again nor skips a good row.
 */
class SourceTaskUnreadableRowsIT {

    private static final int BATCH = 100;
    private final PostgresServer pg = PostgresServer.get();

    /** NaN rows: the last of the first chunk, one inside the third, and the table's very last row. */
    private static final List<Integer> NAN = List.of(100, 250, 500);

    private String prices(String db, boolean withCursor) throws Exception {
        String url = pg.createDatabase(db);
        exec(url, "CREATE TABLE prices (id bigint PRIMARY KEY, amount numeric, note text"
                        + (withCursor ? ", updated_at timestamptz NOT NULL DEFAULT now()" : "") + ")",
                "INSERT INTO prices (id, amount, note) SELECT g, g * 1.5, 'n' || g FROM generate_series(1, 500) g",
                "UPDATE prices SET amount = 'NaN' WHERE id IN (100, 250, 500)");
        return url;
    }

    @Test
    void byDefaultTheTaskFailsNamingConnectorTableKeyAndColumn() throws Exception {
        String url = prices("unreadable_none", false);
        Run run = new Run(props(url, "full", Map.of()));
        ConnectException e = assertThrows(ConnectException.class, () -> run.drain(Map.of(), 499));
        String m = e.getMessage();
        assertTrue(m.contains("unreadable-full") && m.contains("public.prices") && m.contains("[100]")
                && m.contains("column 'amount'") && m.contains("NaN") && m.contains(AdapterConfig.ERRORS_TOLERANCE), m);
        // nothing moved on past the row: no record of it or of any row after it was handed to Connect
        for (SourceRecord r : run.records) {
            assertTrue(id(r) < 100, "record of key " + id(r) + " delivered past the failed row");
        }
    }

    @Test
    void toleranceAllSkipsLogsAndCountsTheRowsAndDeliversEveryOtherRow() throws Exception {
        String url = prices("unreadable_all", false);
        Map<String, String> props = props(url, "full", Map.of(AdapterConfig.ERRORS_TOLERANCE, "all"));
        Run run = new Run(props);
        String err = captureErr(() -> run.drain(Map.of(), 497));
        assertEquals(expectedGoodIds(), ids(run.records), "every good row once, no NaN row");
        assertEquals(3.0, run.metric("public.prices"), "the skipped rows counted in the task's metric");
        for (int id : NAN) {
            assertTrue(err.lines().anyMatch(l -> l.contains("WARN") && l.contains("public.prices") && l.contains("[" + id + "]")
                    && l.contains("column 'amount'")), "WARN naming table, key and column of " + id + " in:\n" + err);
        }
        SourceRecord last = run.records.get(run.records.size() - 1);
        assertEquals(499L, id(last));
        assertEquals("done", last.sourceOffset().get("phase"), "the snapshot's end rides past the last, unreadable row: " + last.sourceOffset());

        // a task restarted from the last committed offset reads nothing again, not even the unreadable last row
        Run again = new Run(props);
        again.drain(Map.of(last.sourcePartition(), new HashMap<>(last.sourceOffset())), 0);
        assertEquals(List.of(), again.records);
        assertEquals(0.0, again.metric("public.prices"), "the unreadable rows are not read again");

        // restarted from the first poll's last record (99, the chunk's row 100 unreadable): its offset is past 100,
        // so the task resumes with 101; rows read only in part later on are read again, none is skipped unseen
        SourceRecord first = run.records.stream().filter(r -> id(r) == 99L).findFirst().orElseThrow();
        assertEquals("snapshot", first.sourceOffset().get("phase"));
        Run middle = new Run(props);
        middle.drain(Map.of(first.sourcePartition(), new HashMap<>(first.sourceOffset())), 397);
        assertEquals(new TreeSet<>(expectedGoodIds().tailSet(100L)), ids(middle.records), "every good row after 99 once");
        assertEquals(2.0, middle.metric("public.prices"), "250 and 500 read and skipped again, 100 not read again");
    }

    @Test
    void toleranceAllWithADeadLetterTopicSendsTheRowsThereWithTheOtherRecordsOfThePoll() throws Exception {
        String url = prices("unreadable_dlq", true);
        Map<String, String> props = props(url, "incremental", Map.of(AdapterConfig.ERRORS_TOLERANCE, "all",
                AdapterConfig.ERRORS_DLQ_TOPIC, "prices-dlq", AdapterConfig.TABLES, "public.prices:updated_at"));
        Run run = new Run(props);
        // 497 + 3 dead letters from the snapshot, 19 + 1 from the changes
        run.drain(Map.of(), 520, () -> exec(url,
                // changes after the snapshot: one more NaN among good rows
                "INSERT INTO prices (id, amount, note) SELECT g, g * 1.5, 'late' FROM generate_series(501, 520) g",
                "UPDATE prices SET amount = 'NaN', updated_at = now() WHERE id = 510"));
        List<SourceRecord> data = new ArrayList<>();
        List<SourceRecord> dead = new ArrayList<>();
        for (SourceRecord r : run.records) {
            (r.topic().equals("prices-dlq") ? dead : data).add(r);
        }
        TreeSet<Long> good = expectedGoodIds();
        for (long i = 501; i <= 520; i++) {
            good.add(i);
        }
        // 510 was inserted and turned NaN before the next read: it is read once, as NaN
        good.remove(510L);
        TreeSet<Long> got = ids(data);
        assertEquals(good, got, "every good row delivered once");
        List<Long> deadIds = new ArrayList<>();
        for (SourceRecord r : dead) {
            deadIds.add(id(r));
            Map<String, String> h = headers(r);
            assertEquals("public.prices", h.get("dbsync.errors.table"));
            assertEquals("[" + id(r) + "]", h.get("dbsync.errors.key"));
            assertEquals("dbsync.public.prices", h.get("dbsync.errors.topic"));
            assertTrue(h.get("dbsync.errors.reason").contains("column 'amount'") && h.get("dbsync.errors.reason").contains("NaN"),
                    h.toString());
            Struct after = ((Struct) r.value()).getStruct("after");
            assertNull(after.get("amount"), "the unreadable value is null");
            assertTrue(after.getString("note").startsWith("n") || after.getString("note").equals("late"), "what could be read: " + after);
            assertEquals(r.sourcePartition(), data.get(0).sourcePartition(), "carries the table's offset");
        }
        assertEquals(List.of(100L, 250L, 500L, 510L), deadIds, "each NaN row once in the dead-letter topic, in source order");
        assertEquals(4.0, run.metric("public.prices"), "counted");
        // the dead-letter records of a poll follow its records and never move the table's offset back
        SourceRecord last = run.records.get(run.records.size() - 1);
        Run again = new Run(props);
        again.drain(Map.of(last.sourcePartition(), new HashMap<>(last.sourceOffset())), 0);
        assertEquals(List.of(), again.records, "nothing read again after a restart from the last offset");
    }

    @Test
    void aDeadLetterTopicWithoutToleranceIsRefusedNamingTheSetting() throws Exception {
        Map<String, String> p = new HashMap<>();
        p.put(AdapterConfig.CONNECTOR, "postgres");
        p.put("postgres.url", "jdbc:postgresql://localhost:1/x");
        p.put(AdapterConfig.ERRORS_DLQ_TOPIC, "dlq");
        ConnectException e = assertThrows(ConnectException.class, () -> new DbsyncSourceConnector().start(p));
        assertTrue(e.getMessage().contains(AdapterConfig.ERRORS_DLQ_TOPIC) && e.getMessage().contains(AdapterConfig.ERRORS_TOLERANCE),
                e.getMessage());
        p.put(AdapterConfig.ERRORS_TOLERANCE, "some");
        e = assertThrows(ConnectException.class, () -> new DbsyncSourceConnector().start(p));
        assertTrue(e.getMessage().contains(AdapterConfig.ERRORS_TOLERANCE), e.getMessage());
        p.put(AdapterConfig.ERRORS_TOLERANCE, "all");
        p.put(AdapterConfig.ERRORS_DLQ_TOPIC, "bad topic");
        e = assertThrows(ConnectException.class, () -> new DbsyncSourceConnector().start(p));
        assertTrue(e.getMessage().contains(AdapterConfig.ERRORS_DLQ_TOPIC), e.getMessage());
        // the same through Connect's validation, under the key
        p.put(AdapterConfig.ERRORS_TOLERANCE, "none");
        p.put(AdapterConfig.ERRORS_DLQ_TOPIC, "dlq");
        List<String> errors = new DbsyncSourceConnector().validate(p).configValues().stream()
                .filter(v -> v.name().equals(AdapterConfig.ERRORS_DLQ_TOPIC)).flatMap(v -> v.errorMessages().stream()).toList();
        assertEquals(1, errors.size(), errors.toString());
    }

    private static TreeSet<Long> expectedGoodIds() {
        TreeSet<Long> s = new TreeSet<>();
        for (long i = 1; i <= 500; i++) {
            if (!NAN.contains((int) i)) {
                s.add(i);
            }
        }
        return s;
    }

    private static long id(SourceRecord r) {
        return ((Struct) r.key()).getInt64("id");
    }

    private static TreeSet<Long> ids(List<SourceRecord> records) {
        TreeSet<Long> s = new TreeSet<>();
        List<Long> dup = new ArrayList<>();
        for (SourceRecord r : records) {
            if (r.value() != null && !s.add(id(r))) {
                dup.add(id(r));
            }
        }
        assertEquals(List.of(), dup, "rows delivered twice");
        return s;
    }

    private static Map<String, String> headers(SourceRecord r) {
        Map<String, String> h = new HashMap<>();
        for (Header x : r.headers()) {
            h.put(x.key(), (String) x.value());
        }
        return h;
    }

    private Map<String, String> props(String url, String strategy, Map<String, String> extra) {
        Map<String, String> p = new HashMap<>();
        p.put("name", "unreadable-" + strategy);
        p.put(AdapterConfig.CONNECTOR, "postgres");
        p.put("postgres.url", url);
        if (pg.username() != null) {
            p.put("postgres.user", pg.username());
        }
        if (pg.password() != null) {
            p.put("postgres.password", pg.password());
        }
        p.put(AdapterConfig.TABLES, "public.prices");
        p.put(AdapterConfig.STRATEGY, strategy);
        p.put(AdapterConfig.BATCH_ROWS, Integer.toString(BATCH));
        p.put(AdapterConfig.POLL_INTERVAL_MS, "100");
        p.putAll(extra);
        DbsyncSourceConnector connector = new DbsyncSourceConnector();
        connector.start(p);
        try {
            return new HashMap<>(connector.taskConfigs(1).get(0));
        } finally {
            connector.stop();
        }
    }

    /** One task over given committed offsets, with real plugin metrics; its records kept even when it fails. */
    private static final class Run {
        final Map<String, String> props;
        final List<SourceRecord> records = new ArrayList<>();
        final Metrics metrics = new Metrics();
        final PluginMetrics pluginMetrics = new PluginMetricsImpl(metrics, Map.of("connector", "test"));

        Run(Map<String, String> props) {
            this.props = props;
        }

        double metric(String table) {
            for (Map.Entry<MetricName, KafkaMetric> m : metrics.metrics().entrySet()) {
                if (m.getKey().name().equals("unreadable-rows-total") && table.equals(m.getKey().tags().get("table"))) {
                    return ((Number) m.getValue().metricValue()).doubleValue();
                }
            }
            throw new AssertionError("no metric unreadable-rows-total for " + table + " in " + metrics.metrics().keySet());
        }

        void drain(Map<? extends Map<String, ?>, Map<String, Object>> committed, int expected) throws Exception {
            drain(committed, expected, null);
        }

        /** Polls until {@code expected} records came and a few polls in a row brought nothing (or 30 s passed). */
        void drain(Map<? extends Map<String, ?>, Map<String, Object>> committed, int expected, Step afterFirstQuietPoll) throws Exception {
            TestTaskContext.drain(props, committed, pluginMetrics, records, expected, afterFirstQuietPoll);
        }
    }

    /** What the task logged meanwhile (slf4j-simple writes to the current System.err). */
    private static String captureErr(Step step) throws Exception {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            step.run();
        } finally {
            System.setErr(old);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        old.print(s);
        return s;
    }

    private void exec(String url, String... sql) throws Exception {
        try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }
}
