package dev.dbsync.kafka.connect;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.WriteResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the tables of one task and hands their changes to Connect as Debezium change events.
 * <p>Offsets: each record carries its table's checkpoint ({@code phase}, the snapshot's {@code after}, the
 * incremental {@code changesFrom}, the feed's {@code streamFrom}) or, from the change feed, the feed position
 * just after it; a restarted task (on any worker) resumes from what Connect committed.
 * <p>The change feed is acknowledged (e.g. a replication slot confirmed) only up to positions whose records
 * Kafka acknowledged ({@link #commitRecord}) before an offset commit that already completed ({@link #commit}),
 * never further: a position is acknowledged one offset commit after it was written, and from the task thread.
 * <p>Rows the source could read only in part ({@link Chunk#failed()}, e.g. a PostgreSQL numeric NaN) fail the task
 * naming table, key and reason, or with {@code dbsync.errors.tolerance=all} are skipped: logged at WARN, counted
 * (the metric {@code unreadable-rows-total} per table) and, with {@code dbsync.errors.deadletterqueue.topic.name},
 * sent to that topic among the poll's records. Either way the table's offset moves past them with the records
 * around them.
 */
public final class DbsyncSourceTask extends SourceTask {

    private static final Logger LOG = LoggerFactory.getLogger(DbsyncSourceTask.class);

    /** One table's progress. */
    private static final class TableState {
        final TableSpec spec;
        final TableSchema schema;
        final Map<String, String> partition;
        final ConnectEnvelope envelope;
        final String topic;
        String phase;
        Position after;
        Position changesFrom;
        /** The snapshot chunk read one poll ahead (see {@link #snapshot}), null when none. */
        Chunk ahead;
        long idleUntil;
        /** Rows skipped under {@code dbsync.errors.tolerance=all}; read by the metrics from another thread. */
        final AtomicLong unreadable = new AtomicLong();

        TableState(TableSpec spec, TableSchema schema, Map<String, String> partition, ConnectEnvelope envelope, String topic) {
            this.spec = spec;
            this.schema = schema;
            this.partition = partition;
            this.envelope = envelope;
            this.topic = topic;
        }
    }

    private Source source;
    private String pipeline;
    private String strategy;
    private int batchRows;
    private long pollIntervalMs;
    private boolean tolerateAll;
    /** Where skipped rows go; null when nowhere (they are logged and counted only). */
    private String deadLetterTopic;
    private final List<TableState> tables = new ArrayList<>();
    private final Map<String, TableState> byTable = new HashMap<>();
    private Map<String, String> feedPartition;
    private Position streamFrom;
    private ChangeStream stream;
    /** The task's tables, joined by commas, carried in the feed's offsets (see {@link #feedOffset}). */
    private String snapshotted;
    private final FeedAcks acks = new FeedAcks();
    private volatile Position toAcknowledge;
    private Position acknowledged;

    @Override
    public String version() {
        return "0.1.0";
    }

    @Override
    public void start(Map<String, String> props) {
        String name = props.get(AdapterConfig.CONNECTOR);
        pipeline = props.getOrDefault("name", name);
        strategy = props.getOrDefault(AdapterConfig.STRATEGY, "cdc");
        batchRows = Integer.parseInt(props.getOrDefault(AdapterConfig.BATCH_ROWS, "2000"));
        pollIntervalMs = Long.parseLong(props.getOrDefault(AdapterConfig.POLL_INTERVAL_MS, "1000"));
        String prefix = props.getOrDefault(AdapterConfig.TOPIC_PREFIX, "dbsync");
        try {
            tolerateAll = AdapterConfig.tolerateAll(props);
            deadLetterTopic = AdapterConfig.deadLetterTopic(props.get(AdapterConfig.ERRORS_DLQ_TOPIC));
            SourceFactory f = AdapterConfig.sourceFactory(name);
            source = f.create(f.configDef().parse(AdapterConfig.settings(name, props)));
            List<TableSpec> specs = new ArrayList<>();
            for (String t : props.getOrDefault(AdapterConfig.TASK_TABLES, "").split(",")) {
                if (!t.isBlank()) {
                    specs.add(AdapterConfig.spec(t));
                }
            }
            List<Map<String, String>> partitions = new ArrayList<>();
            for (TableSpec spec : specs) {
                TableSchema schema = source.describe(spec);
                Map<String, String> partition = partition("table", spec.table());
                String topic = (prefix.isEmpty() ? "" : prefix + ".") + spec.table().replace("\"", "");
                TableState st = new TableState(spec, schema, partition, new ConnectEnvelope(schema, topic, prefix), topic);
                tables.add(st);
                byTable.put(spec.table(), st);
                partitions.add(partition);
            }
            feedPartition = partition("feed", "stream");
            partitions.add(feedPartition);
            Map<Map<String, String>, Map<String, Object>> offsets = context.offsetStorageReader().offsets(partitions);
            for (TableState st : tables) {
                Map<String, Object> o = offsets.get(st.partition);
                if (o != null) {
                    st.phase = (String) o.get("phase");
                    st.after = decode(o.get("after"));
                    st.changesFrom = decode(o.get("changesFrom"));
                    if (streamFrom == null) {
                        streamFrom = decode(o.get("streamFrom"));
                    }
                    LOG.info("pipeline {}: table {} resumes in phase {} after {}", pipeline, st.spec.table(), st.phase, st.after);
                } else {
                    st.phase = "snapshot";
                    LOG.info("pipeline {}: table {} has no committed offset; its snapshot starts", pipeline, st.spec.table());
                }
            }
            Map<String, Object> feed = offsets.get(feedPartition);
            if (feed != null && feed.get("position") != null) {
                streamFrom = decode(feed.get("position"));
                // the feed is polled only once every snapshot of the task ended, so a committed feed position proves
                // them ended even where a table's own offset still says "snapshot" (committed before its end was
                // carried by its last row): resuming such a snapshot would send every row inserted since as a
                // snapshot read, beside the insert the feed carries
                // A table without an offset of its own is one whose snapshot sent no record (it was empty) unless it
                // was added to the connector later; the feed's offset names the tables it was opened for.
                java.util.Set<String> snapshotted = new java.util.HashSet<>();
                Object names = feed.get("snapshotted");
                if (names != null) {
                    snapshotted.addAll(List.of(names.toString().split(",")));
                }
                for (TableState st : tables) {
                    boolean ended = offsets.get(st.partition) != null || snapshotted.contains(st.spec.table());
                    if (strategy.equals("cdc") && "snapshot".equals(st.phase) && ended) {
                        LOG.info("pipeline {}: table {} has a committed feed position, so its snapshot ended", pipeline, st.spec.table());
                        st.phase = "done";
                    }
                }
            }
            if (strategy.equals("cdc") && streamFrom == null) {
                // taken before the snapshots: changes made during them come again from the feed
                streamFrom = ((StreamingSource) source).streamStart(specs);
            }
            for (TableState st : tables) {
                if (strategy.equals("incremental") && st.changesFrom == null) {
                    st.changesFrom = source.changesStart(st.spec, st.schema);
                }
            }
            acknowledged = streamFrom;
            registerMetrics();
            LOG.info("dbsync source task of {} started: {} tables, strategy {}", pipeline, tables.size(), strategy);
        } catch (SyncException | org.apache.kafka.common.config.ConfigException e) {
            throw new ConnectException("pipeline " + pipeline + ": " + e.getMessage(), e);
        }
    }

    /** One gauge per table: the rows skipped because the source could read them only in part. */
    private void registerMetrics() {
        PluginMetrics metrics;
        try {
            metrics = context.pluginMetrics();
        } catch (LinkageError | UnsupportedOperationException e) {
            // a worker older than plugin metrics: the count is still in the WARN lines
            return;
        }
        if (metrics == null) {
            return;
        }
        for (TableState st : tables) {
            LinkedHashMap<String, String> tags = new LinkedHashMap<>();
            tags.put("table", st.spec.table());
            MetricName name = metrics.metricName("unreadable-rows-total",
                    "rows of the table the source could read only in part, skipped under " + AdapterConfig.ERRORS_TOLERANCE + "=all", tags);
            metrics.addMetric(name, (Gauge<Long>) (config, now) -> st.unreadable.get());
        }
    }

    /**
     * A source partition with its keys always in the same order: Connect finds stored offsets by the serialized
     * form of the partition, so a map whose iteration order differs between JVMs (as {@code Map.of}'s does) would
     * miss the offsets another worker wrote.
     */
    private Map<String, String> partition(String kind, String value) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("pipeline", pipeline);
        p.put(kind, value);
        return java.util.Collections.unmodifiableMap(p);
    }

    private static Position decode(Object o) {
        return o == null ? null : Position.decode(o.toString());
    }

    private static String encode(Position p) {
        return p == null ? null : p.encode();
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        try {
            Position ack = toAcknowledge;
            if (stream != null && ack != null && !ack.equals(acknowledged)) {
                stream.acknowledge(ack);
                acknowledged = ack;
            }
            for (TableState st : tables) {
                if (st.phase.equals("snapshot")) {
                    return snapshot(st);
                }
            }
            if (strategy.equals("incremental")) {
                return incremental();
            }
            if (strategy.equals("cdc")) {
                return feed();
            }
            Thread.sleep(pollIntervalMs);
            return null;
        } catch (RetriableException e) {
            throw new org.apache.kafka.connect.errors.RetriableException("pipeline " + pipeline + ": " + e.getMessage(), e);
        } catch (SyncException e) {
            throw new ConnectException("pipeline " + pipeline + ": " + e.getMessage(), e);
        }
    }

    private Map<String, Object> tableOffset(TableState st, String phase, Position after) {
        Map<String, Object> o = new HashMap<>();
        o.put("phase", phase);
        o.put("after", encode(after));
        o.put("changesFrom", encode(st.changesFrom));
        o.put("streamFrom", encode(streamFrom));
        return o;
    }

    /**
     * One chunk of a table's snapshot. Connect commits offsets only with records, so the end of the snapshot must
     * ride on its last row: a chunk that fills the batch cannot tell whether it is the last one, so the next chunk
     * is read now (the source reads ahead anyway) and kept for the next poll; when that read is empty and final,
     * this chunk's last row ends the snapshot. Without it a snapshot whose last chunk is full stays in phase
     * {@code snapshot} at its last key, and a task restarted later "resumes" it, sending every row inserted since
     * (which the change feed or the incremental reader also carries) as a snapshot read once more.
     */
    private List<SourceRecord> snapshot(TableState st) {
        Chunk c = st.ahead != null ? st.ahead : source.readSnapshot(st.spec, st.schema, st.after, batchRows);
        st.ahead = null;
        List<ChangeEvent> events = c.events();
        List<WriteResult.FailedEvent> failed = new ArrayList<>(c.failed());
        Position after = c.next();
        boolean end = c.last();
        // Read on to the next chunk holding a row that becomes a record (kept for the next poll): rows the source
        // could read only in part before it, and the snapshot's end, then ride on this poll's last record, so that
        // its offset moves past them even when no record of theirs follows (no dead-letter topic).
        while (!end && failed.size() < batchRows) {
            Chunk n = source.readSnapshot(st.spec, st.schema, after, batchRows);
            if (n.events().isEmpty() && n.failed().isEmpty() && !n.last()) {
                break; // nothing read and not the end: read again at the next poll
            }
            if (!n.events().isEmpty()) {
                if (!events.isEmpty()) {
                    st.ahead = n;
                    break;
                }
                events = n.events();
            }
            failed.addAll(n.failed());
            after = n.next() != null ? n.next() : after;
            end = n.last();
        }
        String next = end ? (strategy.equals("incremental") ? "changes" : "done") : "snapshot";
        List<SourceRecord> out = new ArrayList<>(events.size() + failed.size() + 4);
        long now = System.currentTimeMillis();
        Map<String, Object> endOffset = tableOffset(st, next, after);
        for (int i = 0; i < events.size(); i++) {
            ChangeEvent e = events.get(i);
            boolean last = i == events.size() - 1;
            add(out, st, e, last ? endOffset : tableOffset(st, "snapshot", e.position()), now, false);
        }
        unreadable(out, st, failed, endOffset, now);
        st.after = after;
        st.phase = next;
        return out;
    }

    /**
     * Rows the source could read only in part. By default the task fails naming them: nothing moves on silently.
     * With {@code dbsync.errors.tolerance=all} each is logged, counted and, with a dead-letter topic, becomes a
     * record of that topic after the poll's other records, carrying {@code offset} (the offset of the poll's last
     * record of the table, past every row read): Connect commits it with them (in their transaction under
     * exactly-once), and the table's offset never moves back.
     */
    private void unreadable(List<SourceRecord> out, TableState st, List<WriteResult.FailedEvent> failed, Map<String, Object> offset, long now) {
        if (failed.isEmpty()) {
            return;
        }
        if (!tolerateAll) {
            WriteResult.FailedEvent f = failed.get(0);
            throw new ConnectException("connector " + pipeline + ": table " + st.spec.table() + ", key " + f.event().keyText()
                    + " could be read only in part: " + f.reason() + (failed.size() > 1 ? " (and " + (failed.size() - 1)
                    + " more rows)" : "") + ". The task stops so that the row is not skipped silently; set "
                    + AdapterConfig.ERRORS_TOLERANCE + "=all to skip such rows (logged, counted, and written to "
                    + AdapterConfig.ERRORS_DLQ_TOPIC + " when set)", f.cause());
        }
        for (WriteResult.FailedEvent f : failed) {
            ChangeEvent e = f.event();
            long n = st.unreadable.incrementAndGet();
            LOG.warn("connector {}: table {}, key {} skipped ({}=all; {} so far in this task{}): {}", pipeline, st.spec.table(),
                    e.keyText(), AdapterConfig.ERRORS_TOLERANCE, n, deadLetterTopic == null ? "" : ", sent to " + deadLetterTopic,
                    f.reason());
            if (deadLetterTopic != null) {
                ConnectHeaders h = new ConnectHeaders();
                h.addString("dbsync.errors.connector", pipeline);
                h.addString("dbsync.errors.table", st.spec.table());
                h.addString("dbsync.errors.key", e.keyText());
                h.addString("dbsync.errors.reason", f.reason());
                h.addString("dbsync.errors.topic", st.topic);
                out.add(new SourceRecord(st.partition, offset, deadLetterTopic, null, st.envelope.keySchema(), st.envelope.key(e),
                        st.envelope.valueSchema(), st.envelope.value(e, now), now, h));
            }
        }
    }

    private List<SourceRecord> incremental() throws InterruptedException {
        long now = System.currentTimeMillis();
        TableState due = null;
        for (TableState st : tables) {
            if (st.idleUntil <= now) {
                due = st;
                break;
            }
        }
        if (due == null) {
            Thread.sleep(Math.min(pollIntervalMs, 200));
            return null;
        }
        Chunk c = source.readChanges(due.spec, due.schema, due.changesFrom, batchRows);
        List<SourceRecord> out = new ArrayList<>();
        // rows read only in part may lie after the last good one: the chunk's last record carries the position
        // past them (the next read's start), so a restarted task neither reads them again nor skips a row
        Position end = c.failed().isEmpty() || c.next() == null ? null : c.next();
        for (int i = 0; i < c.events().size(); i++) {
            ChangeEvent e = c.events().get(i);
            due.changesFrom = end != null && i == c.events().size() - 1 ? end : e.position();
            add(out, due, e, tableOffset(due, "changes", null), now, false);
        }
        if (end != null) {
            due.changesFrom = end;
        }
        unreadable(out, due, c.failed(), tableOffset(due, "changes", null), now);
        if (c.last()) {
            due.idleUntil = now + pollIntervalMs;
        }
        // a table that is behind keeps the turn; caught-up ones wait their interval
        tables.remove(due);
        tables.add(due);
        return out;
    }

    /**
     * The feed's offset after an event: its position, and the tables whose snapshots had ended when the feed was
     * opened (all of the task's), so that a restarted task knows them ended even when a table's snapshot, empty,
     * sent no record and so has no offset of its own.
     */
    private Map<String, Object> feedOffset(Position p) {
        return Map.of("position", p.encode(), "snapshotted", snapshotted);
    }

    private List<SourceRecord> feed() {
        if (stream == null) {
            List<String> names = new ArrayList<>();
            for (TableState st : tables) {
                names.add(st.spec.table());
            }
            snapshotted = String.join(",", names);
            List<TableSchema> schemas = new ArrayList<>();
            List<TableSpec> specs = new ArrayList<>();
            for (TableState st : tables) {
                schemas.add(st.schema);
                specs.add(st.spec);
            }
            stream = ((StreamingSource) source).openStream(schemas, specs, streamFrom);
            LOG.info("pipeline {}: change feed opened at {}", pipeline, streamFrom);
        }
        List<ChangeEvent> events = stream.poll(Duration.ofMillis(pollIntervalMs));
        List<SourceRecord> out = new ArrayList<>(events.size() + 4);
        long now = System.currentTimeMillis();
        for (ChangeEvent e : events) {
            TableState st = byTable.get(e.table());
            if (st == null) {
                continue;
            }
            Map<String, Object> offset = feedOffset(e.position());
            if (e.operation() == Operation.TRUNCATE) {
                SourceRecord r = new SourceRecord(feedPartition, offset, st.topic, null, null, null,
                        st.envelope.valueSchema(), st.envelope.truncate(st.spec.table(), now));
                acks.track(r, e.position());
                out.add(r);
                continue;
            }
            add(out, st, e, null, now, true);
        }
        return out.isEmpty() ? null : out;
    }

    private void add(List<SourceRecord> out, TableState st, ChangeEvent e, Map<String, Object> tableOffset, long now, boolean feed) {
        Map<String, ?> partition = feed ? feedPartition : st.partition;
        Map<String, ?> offset = feed ? feedOffset(e.position()) : tableOffset;
        SourceRecord r = new SourceRecord(partition, offset, st.topic, null, st.envelope.keySchema(), st.envelope.key(e),
                st.envelope.valueSchema(), st.envelope.value(e, now));
        out.add(r);
        if (feed) {
            acks.track(r, e.position());
        }
        if (e.operation() == Operation.DELETE) {
            // the tombstone that lets log compaction drop the key
            SourceRecord t = new SourceRecord(partition, offset, st.topic, null, st.envelope.keySchema(), st.envelope.key(e), null, null);
            out.add(t);
            if (feed) {
                acks.track(t, e.position());
            }
        }
    }

    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) {
        acks.acked(record);
    }

    /** Offsets were committed: what was acknowledged before the previous commit is covered by this one. */
    @Override
    public void commit() {
        Position safe = acks.committed();
        if (safe != null) {
            toAcknowledge = safe;
        }
    }

    @Override
    public void stop() {
        try {
            if (stream != null) {
                stream.close();
            }
        } catch (RuntimeException e) {
            LOG.warn("pipeline {}: closing the change feed failed: {}", pipeline, e.getMessage());
        }
        if (source != null) {
            source.close();
        }
    }

    /** For tests: the feed position acknowledged so far. */
    Position acknowledged() {
        return acknowledged;
    }
}
