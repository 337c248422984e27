package dev.dbsync.kafka.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.memory.MemorySink;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.junit.jupiter.api.Test;

/**
 * The sink task over the test kit's in-memory reference sink: Debezium envelopes (r/c/u/d/t) become writes,
 * tombstones delete (the only delete of flattened ExtractNewRecordState streams), rejected rows reach the errant
 * record reporter, offsets are returned only after the flush, and without a reporter a rejected row fails the task.
 */
class SinkTaskTest {

    private static final TableSchema ORDERS = new TableSchema("public.orders", List.of(Column.required("id", LogicalType.INT64),
            Column.of("note", LogicalType.STRING), Column.decimal("amount", 10, 2), Column.of("at", LogicalType.TIMESTAMP_TZ)),
            List.of("id"));
    private static final String TOPIC = "p.public.orders";

    /** A fake of Connect's task context: it only collects what is reported. */
    private static final class Context implements SinkTaskContext {
        final List<SinkRecord> reported = new ArrayList<>();
        final boolean withReporter;

        Context(boolean withReporter) {
            this.withReporter = withReporter;
        }

        @Override
        public Map<String, String> configs() {
            return Map.of();
        }

        @Override
        public void offset(Map<TopicPartition, Long> offsets) {
        }

        @Override
        public void offset(TopicPartition tp, long offset) {
        }

        @Override
        public void timeout(long timeoutMs) {
        }

        @Override
        public Set<TopicPartition> assignment() {
            return Set.of();
        }

        @Override
        public void pause(TopicPartition... partitions) {
        }

        @Override
        public void resume(TopicPartition... partitions) {
        }

        @Override
        public void requestCommit() {
        }

        @Override
        public org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() {
            return null;
        }

        @Override
        public ErrantRecordReporter errantRecordReporter() {
            return withReporter ? (record, error) -> {
                reported.add(record);
                return CompletableFuture.completedFuture(null);
            } : null;
        }
    }

    private static long offset;

    private static SinkRecord record(ConnectEnvelope env, ChangeEvent e) {
        return new SinkRecord(TOPIC, 0, env.keySchema(), env.key(e), env.valueSchema(), env.value(e, 1L), offset++);
    }

    private static Object[] row(long id, String note, String amount) {
        return new Object[] {id, note, new BigDecimal(amount), Instant.parse("2024-01-01T00:00:00Z")};
    }

    private DbsyncSinkTask task(String id, MemorySink sink, Context ctx) {
        MemorySinkFactory.SINKS.put(id, sink);
        DbsyncSinkTask t = new DbsyncSinkTask();
        t.initialize(ctx);
        t.start(Map.of("dbsync.connector", "memory", "memory.id", id));
        return t;
    }

    @Test
    void envelopesTombstonesAndTruncatesBecomeWritesAndOffsetsFollowTheFlush() {
        MemorySink sink = new MemorySink();
        Context ctx = new Context(true);
        DbsyncSinkTask task = task("env", sink, ctx);
        ConnectEnvelope env = new ConnectEnvelope(ORDERS, TOPIC, "p");
        List<SinkRecord> batch = new ArrayList<>();
        for (long i = 1; i <= 5; i++) {
            batch.add(record(env, ChangeEvent.read("public.orders", new Object[] {i}, row(i, "r" + i, "1.00"), 1, Position.of(i))));
        }
        batch.add(record(env, ChangeEvent.update("public.orders", new Object[] {2L}, row(2, "updated", "2.50"), row(2, "r2", "1.00"), 5,
                Position.of(6))));
        batch.add(record(env, ChangeEvent.delete("public.orders", new Object[] {3L}, null, 6, Position.of(7))));
        batch.add(new SinkRecord(TOPIC, 0, env.keySchema(), env.key(ChangeEvent.delete("public.orders", new Object[] {3L}, null, 6,
                Position.of(7))), null, null, offset++));
        task.put(batch);
        Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(offset));
        long flushesBefore = sink.flushes();
        assertEquals(offsets, task.preCommit(offsets));
        assertTrue(sink.flushes() > flushesBefore, "offsets are reported after the writers flushed");
        List<List<Object>> rows = sink.rows("orders");
        assertEquals(4, rows.size(), rows.toString());
        assertTrue(rows.stream().anyMatch(r -> r.get(0).equals(2L) && r.get(1).equals("updated") && new BigDecimal("2.50").equals(r.get(2))));
        assertTrue(rows.stream().noneMatch(r -> r.get(0).equals(3L)), "deleted");

        // a truncate event empties the table
        Struct t = env.truncate("public.orders", 1L);
        task.put(List.of(new SinkRecord(TOPIC, 0, null, null, env.valueSchema(), t, offset++)));
        task.preCommit(Map.of());
        assertEquals(0, sink.rows("orders").size());
        task.stop();
    }

    @Test
    void flattenedRowsUpsertAndTheirTombstonesDelete() {
        MemorySink sink = new MemorySink();
        DbsyncSinkTask task = task("flat", sink, new Context(true));
        Schema key = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build();
        Schema value = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).field("note", Schema.OPTIONAL_STRING_SCHEMA).build();
        List<SinkRecord> batch = new ArrayList<>();
        for (long i = 1; i <= 3; i++) {
            batch.add(new SinkRecord("x.public.flat", 0, key, new Struct(key).put("id", i), value,
                    new Struct(value).put("id", i).put("note", "n" + i), offset++));
        }
        batch.add(new SinkRecord("x.public.flat", 0, key, new Struct(key).put("id", 2L), null, null, offset++));
        task.put(batch);
        task.preCommit(Map.of());
        List<List<Object>> rows = sink.rows("flat");
        assertEquals(2, rows.size(), "the tombstone of a flattened stream deletes: " + rows);
        task.stop();
    }

    @Test
    void rejectedRowsGoToTheErrantRecordReporterOrFailTheTask() {
        MemorySink rejecting = new MemorySink().rejecting(e -> e.key().get(0).equals(4L));
        Context ctx = new Context(true);
        DbsyncSinkTask task = task("rej", rejecting, ctx);
        ConnectEnvelope env = new ConnectEnvelope(ORDERS, TOPIC, "p");
        List<SinkRecord> batch = new ArrayList<>();
        for (long i = 1; i <= 6; i++) {
            batch.add(record(env, ChangeEvent.insert("public.orders", new Object[] {i}, row(i, "n", "1.00"), i, Position.of(i))));
        }
        task.put(batch);
        task.preCommit(Map.of());
        assertEquals(1, ctx.reported.size());
        assertEquals(batch.get(3), ctx.reported.get(0), "the record of the rejected row is reported");
        assertEquals(5, rejecting.rows("orders").size());
        task.stop();

        DbsyncSinkTask strict = task("rej2", new MemorySink().rejecting(e -> e.key().get(0).equals(4L)), new Context(false));
        ConnectException e = assertThrows(ConnectException.class, () -> strict.put(batch));
        assertTrue(e.getMessage().contains("offset " + batch.get(3).kafkaOffset()) && e.getMessage().contains("errors.tolerance"),
                e.getMessage());
        strict.stop();
    }
}
