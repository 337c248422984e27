package dev.dbsync.kafka.connect;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Debezium change events into a dbsync sink: {@link #put} converts each topic's records into a batch for
 * that table's writer, {@link #preCommit} flushes every writer and only then reports the offsets Connect may
 * commit, so a committed offset always means the rows are durable in the target. Rows the sink rejects go to
 * Connect's errant record reporter (the dead letter queue) and the task waits for each report before offsets are
 * committed; without a reporter the task fails naming the row, so nothing is dropped silently.
 */
public final class DbsyncSinkTask extends SinkTask {

    private static final Logger LOG = LoggerFactory.getLogger(DbsyncSinkTask.class);

    /** One target table: its writer, the schema it was opened with, and the records written since its flush. */
    private static final class Target {
        final TableWriter writer;
        final TableSchema schema;
        final Schema valueSchema;
        final List<SinkRecord> unflushed = new ArrayList<>();
        final List<ChangeEvent> unflushedEvents = new ArrayList<>();

        Target(TableWriter writer, TableSchema schema, Schema valueSchema) {
            this.writer = writer;
            this.schema = schema;
            this.valueSchema = valueSchema;
        }
    }

    private Sink sink;
    private boolean keepSchema;
    private ErrantRecordReporter reporter;
    private final Map<String, Target> targets = new HashMap<>();
    private final List<Future<Void>> reports = new ArrayList<>();

    @Override
    public String version() {
        return "0.1.0";
    }

    @Override
    public void start(Map<String, String> props) {
        String name = props.get(AdapterConfig.CONNECTOR);
        keepSchema = Boolean.parseBoolean(props.getOrDefault(AdapterConfig.TARGET_SCHEMA_DROP, "false"));
        try {
            SinkFactory f = AdapterConfig.sinkFactory(name);
            sink = f.create(f.configDef().parse(AdapterConfig.settings(name, props)));
        } catch (SyncException e) {
            throw new ConnectException(e.getMessage(), e);
        }
        try {
            reporter = context.errantRecordReporter();
        } catch (NoSuchMethodError | NoClassDefFoundError e) {
            reporter = null;
        }
    }

    /** The target table of a topic {@code prefix.schema.table}: its last part, or the part after the prefix. */
    String targetOf(String topic) {
        int first = topic.indexOf('.');
        int last = topic.lastIndexOf('.');
        if (keepSchema) {
            return first < 0 ? topic : topic.substring(first + 1);
        }
        return last < 0 ? topic : topic.substring(last + 1);
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        try {
            String topic = null;
            List<SinkRecord> run = new ArrayList<>();
            for (SinkRecord r : records) {
                if (!r.topic().equals(topic) || (r.value() != null && changesSchema(r))) {
                    writeRun(run);
                    run.clear();
                    topic = r.topic();
                }
                if (r.value() == null) {
                    // a tombstone deletes its key: after a Debezium delete event that is a harmless repeat, for
                    // flattened streams (ExtractNewRecordState) it is the only delete there is
                    tombstone(r, run);
                    continue;
                }
                if (!(r.value() instanceof Struct)) {
                    fail(r, "the record value is not a Debezium change event or row with a schema (use JsonConverter with"
                            + " schemas.enable=true, or Avro)");
                    continue;
                }
                Struct v = (Struct) r.value();
                if (ConnectEnvelope.isEnvelope(v.schema()) && "t".equals(v.getString("op"))) {
                    writeRun(run);
                    run.clear();
                    Target t = target(r);
                    flush(r.topic(), t);
                    t.writer.truncate();
                    continue;
                }
                run.add(r);
            }
            writeRun(run);
        } catch (RetriableException e) {
            throw new org.apache.kafka.connect.errors.RetriableException(e.getMessage(), e);
        } catch (SyncException e) {
            throw new ConnectException(e.getMessage(), e);
        }
    }

    private void tombstone(SinkRecord r, List<SinkRecord> run) {
        boolean rowInRun = run.stream().anyMatch(x -> x.value() != null && x.topic().equals(r.topic()));
        if ((targets.get(r.topic()) == null && !rowInRun) || !(r.key() instanceof Struct)) {
            // no row of this topic was seen by this task yet, so the table's columns are unknown
            LOG.debug("tombstone at {}-{}@{} before any row of its topic: skipped", r.topic(), r.kafkaPartition(), r.kafkaOffset());
            return;
        }
        run.add(r);
    }

    /** Whether the last event of {@code e}'s key among {@code events} is a delete. */
    private static boolean deletedLastInRun(List<ChangeEvent> events, ChangeEvent e) {
        for (int i = events.size() - 1; i >= 0; i--) {
            ChangeEvent x = events.get(i);
            if (x.key().equals(e.key())) {
                return x.operation() == Operation.DELETE;
            }
        }
        return false;
    }

    private boolean changesSchema(SinkRecord r) {
        Target t = targets.get(r.topic());
        return t != null && !t.valueSchema.equals(r.valueSchema());
    }

    private Target target(SinkRecord r) {
        Target t = targets.get(r.topic());
        if (t != null && t.valueSchema.equals(r.valueSchema())) {
            return t;
        }
        if (t != null) {
            // the table's schema changed: finish the old writer and open the table again with the new schema
            flush(r.topic(), t);
            t.writer.close();
        }
        TableSchema schema = ConnectEnvelope.tableOf(targetOf(r.topic()), r.keySchema(), r.valueSchema());
        Target nt = new Target(sink.open(schema), schema, r.valueSchema());
        targets.put(r.topic(), nt);
        return nt;
    }

    private void writeRun(List<SinkRecord> run) {
        if (run.isEmpty()) {
            return;
        }
        SinkRecord first = run.get(0);
        for (SinkRecord r : run) {
            if (r.value() != null) {
                first = r;
                break;
            }
        }
        Target t = first.value() == null ? targets.get(first.topic()) : target(first);
        if (t == null) {
            return;
        }
        List<ChangeEvent> events = new ArrayList<>(run.size());
        Map<ChangeEvent, SinkRecord> origin = new IdentityHashMap<>();
        for (SinkRecord r : run) {
            ChangeEvent e;
            try {
                Position pos = Position.of(r.topic(), r.kafkaPartition(), r.kafkaOffset());
                e = r.value() == null ? ConnectEnvelope.deleteByKey(t.schema, (Struct) r.key(), pos, r.kafkaOffset() + 1)
                        : ConnectEnvelope.event(t.schema, (Struct) r.value(), pos, r.kafkaOffset() + 1);
            } catch (RuntimeException ex) {
                fail(r, ex.getMessage());
                continue;
            }
            if (e != null && r.value() == null && deletedLastInRun(events, e)) {
                // the tombstone that follows a delete event repeats it; written as a second delete it would replace
                // the event's version (the feed's) by the record's offset, and a versioned sink keeping only the
                // last change of each key in a batch would then let an older row win over the delete
                continue;
            }
            if (e != null) {
                events.add(e);
                origin.put(e, r);
            }
        }
        if (events.isEmpty()) {
            return;
        }
        try {
            WriteResult res = t.writer.write(Batch.of(t.schema, events));
            report(res, origin);
        } catch (DataException e) {
            // nothing of the batch was applied: write each event alone to find the bad ones
            for (ChangeEvent ev : events) {
                try {
                    report(t.writer.write(Batch.of(t.schema, List.of(ev))), origin);
                } catch (DataException one) {
                    fail(origin.get(ev), one.getMessage());
                }
            }
        }
        t.unflushed.addAll(run);
        t.unflushedEvents.addAll(events);
    }

    private void report(WriteResult res, Map<ChangeEvent, SinkRecord> origin) {
        for (WriteResult.FailedEvent f : res.failed()) {
            fail(origin.get(f.event()), f.reason());
        }
    }

    private void fail(SinkRecord r, String reason) {
        String what = "topic " + r.topic() + " partition " + r.kafkaPartition() + " offset " + r.kafkaOffset() + ": " + reason;
        if (reporter == null) {
            throw new ConnectException(what + " (configure errors.tolerance=all and errors.deadletterqueue.topic.name"
                    + " to route rejected rows to a dead letter queue)");
        }
        LOG.warn("row rejected, sent to the errant record reporter: {}", what);
        reports.add(reporter.report(r, new DataException(what)));
    }

    private void flush(String topic, Target t) {
        try {
            t.writer.flush();
        } catch (DataException e) {
            // the writer discarded what was written since its last flush: write it again row by row, each flushed
            LOG.warn("table {}: flush refused ({}); writing its {} rows again one by one", t.schema.name(), e.getMessage(), t.unflushedEvents.size());
            for (int i = 0; i < t.unflushedEvents.size(); i++) {
                ChangeEvent ev = t.unflushedEvents.get(i);
                SinkRecord r = t.unflushed.get(i);
                try {
                    WriteResult res = t.writer.write(Batch.of(t.schema, List.of(ev)));
                    t.writer.flush();
                    for (WriteResult.FailedEvent f : res.failed()) {
                        fail(r, f.reason());
                    }
                } catch (DataException one) {
                    fail(r, one.getMessage());
                }
            }
        }
        t.unflushed.clear();
        t.unflushedEvents.clear();
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        try {
            for (Map.Entry<String, Target> e : targets.entrySet()) {
                flush(e.getKey(), e.getValue());
            }
        } catch (RetriableException e) {
            throw new org.apache.kafka.connect.errors.RetriableException(e.getMessage(), e);
        } catch (SyncException e) {
            throw new ConnectException(e.getMessage(), e);
        }
        for (Future<Void> f : reports) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectException("interrupted while reporting rejected rows", e);
            } catch (ExecutionException e) {
                throw new ConnectException("reporting a rejected row failed: " + e.getCause(), e.getCause());
            }
        }
        reports.clear();
        // everything handed to put so far is flushed: exactly these offsets may be committed
        return currentOffsets;
    }

    @Override
    public void stop() {
        for (Target t : targets.values()) {
            try {
                t.writer.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the writer of {} failed: {}", t.schema.name(), e.getMessage());
            }
        }
        targets.clear();
        if (sink != null) {
            sink.close();
        }
    }
}
