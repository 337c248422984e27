package dev.dbsync.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The Kafka sink's records read by a plain Kafka consumer and checked field by field against Debezium's
 * envelope: op codes, before/after, tombstones, truncates, source block, key struct, Connect schemas and the
 * value encodings, decimal handling modes, transactions invisible to read_committed until flushed, a batch and
 * its checkpoint committed together, fencing of an older process.
 */
class KafkaSinkIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaTestCluster kafka = KafkaTestCluster.get();

    private static final TableSchema ITEMS = new TableSchema("items", List.of(
            Column.required("id", LogicalType.INT64),
            Column.of("name", LogicalType.STRING),
            Column.decimal("price", 10, 2),
            Column.of("day", LogicalType.DATE),
            Column.of("at", LogicalType.TIMESTAMP),
            Column.of("at_tz", LogicalType.TIMESTAMP_TZ),
            Column.of("uid", LogicalType.UUID),
            Column.of("doc", LogicalType.JSON),
            Column.of("raw", LogicalType.BYTES),
            Column.array("tags", LogicalType.STRING),
            Column.of("ok", LogicalType.BOOLEAN),
            Column.of("ratio", LogicalType.FLOAT64),
            Column.of("tod", LogicalType.TIME)), List.of("id"));

    private Sink sink(String prefix, Map<String, String> extra) {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put("bootstrap.servers", kafka.bootstrap());
        cfg.put("topic.prefix", prefix);
        cfg.put("checkpoint.topic", prefix + "_checkpoints");
        cfg.putAll(extra);
        KafkaSinkFactory f = new KafkaSinkFactory();
        return f.create(f.configDef().parse(cfg));
    }

    private static Object[] row(long id, String name, String price) {
        return new Object[] {id, name, price == null ? null : new BigDecimal(price), LocalDate.of(2024, 2, 29),
                LocalDateTime.of(2024, 2, 29, 13, 45, 30, 123_456_000), Instant.parse("2024-02-29T12:00:00.5Z"),
                UUID.fromString("123e4567-e89b-12d3-a456-426614174000"), Map.of("k", List.of(1, 2)), new byte[] {1, 2, (byte) 255},
                List.of("a", "b"), true, 0.25, LocalTime.of(1, 2, 3, 456_000_000)};
    }

    private static Position pos(long n) {
        return Position.of(n);
    }

    @Test
    void eventsCarryDebeziumEnvelopeOpCodesBeforeAfterTombstonesAndTruncates() throws Exception {
        String prefix = "env" + System.nanoTime();
        List<ConsumerRecord<byte[], byte[]>> records;
        try (Sink sink = sink(prefix, Map.of())) {
            assertTrue(sink.capabilities().contains(SinkCapability.TRANSACTIONS));
            assertTrue(sink.capabilities().contains(SinkCapability.CHECKPOINT_STORE));
            try (TableWriter w = sink.open(ITEMS)) {
                List<ChangeEvent> events = List.of(
                        ChangeEvent.read("public.items", new Object[] {1L}, row(1, "snap", "1.50"), 0, pos(1)),
                        ChangeEvent.insert("public.items", new Object[] {2L}, row(2, "new", "2.00"), 11, pos(2)),
                        ChangeEvent.update("public.items", new Object[] {2L}, row(2, "newer", "2.50"), row(2, "new", "2.00"), 12, pos(3)),
                        ChangeEvent.upsert("public.items", new Object[] {3L}, row(3, "unknown", null), 13, pos(4)),
                        ChangeEvent.delete("public.items", new Object[] {1L}, row(1, "snap", "1.50"), 14, pos(5)),
                        ChangeEvent.delete("public.items", new Object[] {3L}, null, 15, pos(6)));
                WriteResult r = w.write(Batch.of(ITEMS, events));
                assertEquals(4, r.upserted());
                assertEquals(2, r.deleted());
                assertTrue(r.failed().isEmpty());
                w.flush();
                w.truncate();
            }
            records = readAll(prefix + ".public.items", 9);
        }
        assertEquals(9, records.size(), "6 events, 2 tombstones, 1 truncate");
        String[] ops = {"r", "c", "u", "u", "d", null, "d", null, "t"};
        long[] keys = {1, 2, 2, 3, 1, 1, 3, 3, -1};
        for (int i = 0; i < ops.length; i++) {
            ConsumerRecord<byte[], byte[]> rec = records.get(i);
            if (keys[i] < 0) {
                assertNull(rec.key(), "a truncate has no key");
            } else {
                JsonNode key = JSON.readTree(rec.key());
                assertEquals(keys[i], key.path("payload").path("id").asLong(), "record " + i + " key");
                assertEquals("struct", key.path("schema").path("type").asText());
                assertEquals("id", key.path("schema").path("fields").get(0).path("field").asText());
                assertEquals("int64", key.path("schema").path("fields").get(0).path("type").asText());
            }
            if (ops[i] == null) {
                assertNull(rec.value(), "record " + i + " is the tombstone after a delete");
                continue;
            }
            JsonNode v = JSON.readTree(rec.value());
            JsonNode p = v.path("payload");
            assertEquals(ops[i], p.path("op").asText(), "record " + i + " op");
            assertTrue(p.path("ts_ms").asLong() > 0);
            assertEquals("dbsync", p.path("source").path("connector").asText());
            assertEquals(prefix, p.path("source").path("name").asText());
            assertEquals("Envelope", v.path("schema").path("name").asText().replaceAll(".*\\.", ""));
        }
        JsonNode snap = JSON.readTree(records.get(0).value()).path("payload");
        assertTrue(snap.path("before").isNull());
        assertEquals("true", snap.path("source").path("snapshot").asText());
        assertEquals("public", snap.path("source").path("schema").asText());
        assertEquals("items", snap.path("source").path("table").asText());
        JsonNode after = snap.path("after");
        assertEquals("snap", after.path("name").asText());
        assertArrayEquals(new BigInteger("150").toByteArray(), Base64.getDecoder().decode(after.path("price").asText()),
                "precise decimals: unscaled bytes");
        assertEquals(LocalDate.of(2024, 2, 29).toEpochDay(), after.path("day").asLong(), "dates: days since epoch");
        assertEquals(LocalDateTime.of(2024, 2, 29, 13, 45, 30).toEpochSecond(java.time.ZoneOffset.UTC) * 1_000_000 + 123_456,
                after.path("at").asLong(), "timestamps: microseconds");
        assertEquals("2024-02-29T12:00:00.500Z", after.path("at_tz").asText().replace("00.5Z", "00.500Z"));
        assertEquals("123e4567-e89b-12d3-a456-426614174000", after.path("uid").asText());
        assertEquals(Map.of("k", List.of(1, 2)), JSON.readValue(after.path("doc").asText(), Map.class), "JSON as text");
        assertArrayEquals(new byte[] {1, 2, (byte) 255}, Base64.getDecoder().decode(after.path("raw").asText()));
        assertEquals("a", after.path("tags").get(0).asText());
        assertTrue(after.path("ok").asBoolean());
        assertEquals(0.25, after.path("ratio").asDouble());
        assertEquals(LocalTime.of(1, 2, 3, 456_000_000).toNanoOfDay() / 1000, after.path("tod").asLong(), "time: micros of day");
        JsonNode afterSchema = JSON.readTree(records.get(0).value()).path("schema").path("fields").get(1);
        assertEquals("after", afterSchema.path("field").asText());
        Map<String, JsonNode> fields = new HashMap<>();
        afterSchema.path("fields").forEach(f -> fields.put(f.path("field").asText(), f));
        assertEquals("org.apache.kafka.connect.data.Decimal", fields.get("price").path("name").asText());
        assertEquals("2", fields.get("price").path("parameters").path("scale").asText());
        assertEquals("io.debezium.time.Date", fields.get("day").path("name").asText());
        assertEquals("io.debezium.time.MicroTimestamp", fields.get("at").path("name").asText());
        assertEquals("io.debezium.time.ZonedTimestamp", fields.get("at_tz").path("name").asText());
        assertEquals("io.debezium.data.Uuid", fields.get("uid").path("name").asText());
        assertEquals("io.debezium.data.Json", fields.get("doc").path("name").asText());
        assertFalse(fields.get("id").path("optional").asBoolean(), "key column required");

        JsonNode insert = JSON.readTree(records.get(1).value()).path("payload");
        assertTrue(insert.path("before").isNull(), "an insert has no before");
        assertEquals(11, insert.path("source").path("dbsync_version").asLong());
        assertEquals("false", insert.path("source").path("snapshot").asText());
        JsonNode update = JSON.readTree(records.get(2).value()).path("payload");
        assertEquals("new", update.path("before").path("name").asText(), "an update carries the old row the source had");
        assertEquals("newer", update.path("after").path("name").asText());
        JsonNode upsert = JSON.readTree(records.get(3).value()).path("payload");
        assertTrue(upsert.path("before").isNull(), "an update without the old row has before = null");
        assertTrue(upsert.path("after").path("price").isNull());
        JsonNode delete = JSON.readTree(records.get(4).value()).path("payload");
        assertTrue(delete.path("after").isNull());
        assertEquals("snap", delete.path("before").path("name").asText(), "a delete with the last row carries it as before");
        JsonNode keyOnly = JSON.readTree(records.get(6).value()).path("payload");
        assertEquals(3, keyOnly.path("before").path("id").asLong(), "a delete by key: before holds the key");
        assertTrue(keyOnly.path("before").path("name").isNull());
        JsonNode truncate = JSON.readTree(records.get(8).value()).path("payload");
        assertTrue(truncate.path("before").isNull() && truncate.path("after").isNull());
    }

    @Test
    void decimalHandlingStringDoubleAndVariableScale() throws Exception {
        TableSchema s = new TableSchema("money", List.of(Column.required("id", LogicalType.INT32), Column.decimal("exact", 20, 4),
                Column.of("any", LogicalType.DECIMAL)), List.of("id"));
        Object[] values = {1, new BigDecimal("12345678901234.5678"), new BigDecimal("-0.000000000123")};
        Map<String, JsonNode> byMode = new HashMap<>();
        for (String mode : List.of("string", "double", "precise")) {
            String prefix = "dec" + mode + System.nanoTime();
            try (Sink sink = sink(prefix, Map.of("decimal.handling", mode, "transactions", "false")); TableWriter w = sink.open(s)) {
                w.write(Batch.of(s, List.of(ChangeEvent.insert("money", new Object[] {1}, values.clone(), 0, pos(1)))));
                w.flush();
                byMode.put(mode, JSON.readTree(readAll(prefix + ".public.money", 1).get(0).value()).path("payload").path("after"));
            }
        }
        assertEquals("12345678901234.5678", byMode.get("string").path("exact").asText());
        assertEquals("-0.000000000123", byMode.get("string").path("any").asText());
        assertTrue(byMode.get("double").path("exact").isDouble());
        assertEquals(1.23456789012345678E13, byMode.get("double").path("exact").asDouble(), 0.01);
        assertEquals(new BigDecimal("12345678901234.5678"),
                new BigDecimal(new BigInteger(Base64.getDecoder().decode(byMode.get("precise").path("exact").asText())), 4));
        JsonNode variable = byMode.get("precise").path("any");
        assertEquals(12, variable.path("scale").asInt(), "a decimal without declared scale: VariableScaleDecimal");
        assertEquals(new BigInteger("-123"), new BigInteger(Base64.getDecoder().decode(variable.path("value").asText())));
    }

    @Test
    void aValueTheColumnCannotHoldFailsThatRowAloneAndNamesIt() throws Exception {
        TableSchema s = new TableSchema("narrow", List.of(Column.required("id", LogicalType.INT32), Column.decimal("p", 5, 2)), List.of("id"));
        String prefix = "bad" + System.nanoTime();
        try (Sink sink = sink(prefix, Map.of()); TableWriter w = sink.open(s)) {
            WriteResult r = w.write(Batch.of(s, List.of(
                    ChangeEvent.insert("narrow", new Object[] {1}, new Object[] {1, new BigDecimal("1.25")}, 0, pos(1)),
                    ChangeEvent.insert("narrow", new Object[] {2}, new Object[] {2, new BigDecimal("1.255")}, 0, pos(2)),
                    ChangeEvent.insert("narrow", new Object[] {3}, new Object[] {3, new BigDecimal("3.00")}, 0, pos(3)))));
            w.flush();
            assertEquals(2, r.upserted());
            assertEquals(1, r.failed().size());
            assertTrue(r.failed().get(0).reason().contains("'p'") && r.failed().get(0).reason().contains("[2]"), r.failed().get(0).reason());
            assertEquals(2, readAll(prefix + ".public.narrow", 2).size());
        }
    }

    @Test
    void unflushedTransactionsAreInvisibleToReadCommittedAndABatchCommitsWithItsCheckpoint() throws Exception {
        String prefix = "txn" + System.nanoTime();
        TableSchema s = new TableSchema("t", List.of(Column.required("id", LogicalType.INT64), Column.of("v", LogicalType.STRING)), List.of("id"));
        try (Sink sink = sink(prefix, Map.of())) {
            CheckpointStore store = sink.checkpointStore().orElseThrow();
            Lease lease = store.acquire("pipe_" + prefix, "test:1");
            try (TableWriter w = sink.open(s)) {
                List<ChangeEvent> events = new ArrayList<>();
                for (long i = 1; i <= 100; i++) {
                    events.add(ChangeEvent.insert("t", new Object[] {i}, new Object[] {i, "v" + i}, 0, pos(i)));
                }
                w.write(Batch.of(s, events, CheckpointUpdate.of(lease, "public.t", "cp-after-100")));
                assertEquals(0, readAll(prefix + ".public.t", 0, Duration.ofSeconds(1)).size(), "not visible before the flush");
                w.flush();
                assertEquals(100, readAll(prefix + ".public.t", 100).size());
                // the checkpoint went in the same transaction: another instance of the store reads it
                try (CheckpointStore other = storeOn(prefix + "_checkpoints")) {
                    assertEquals("cp-after-100", other.load("pipe_" + prefix, "public.t").orElseThrow());
                }
            }
            store.release(lease);
        }
    }

    @Test
    void aProcessThatLostItsLeaseIsFencedAndCannotCommitRowsOrCheckpoint() throws Exception {
        String prefix = "fence" + System.nanoTime();
        String pipeline = "pipe_" + prefix;
        TableSchema s = new TableSchema("t", List.of(Column.required("id", LogicalType.INT64)), List.of("id"));
        Sink old = sink(prefix, Map.of("lease.ttl", "1s"));
        CheckpointStore oldStore = old.checkpointStore().orElseThrow();
        Lease oldLease = oldStore.acquire(pipeline, "old:1");
        TableWriter oldWriter = old.open(s);
        oldWriter.write(Batch.of(s, List.of(ChangeEvent.insert("t", new Object[] {1L}, new Object[] {1L}, 0, pos(1))),
                CheckpointUpdate.of(oldLease, "public.t", "old-1")));
        oldWriter.flush();
        try (Sink fresh = sink(prefix, Map.of("lease.ttl", "1s"))) {
            LeaseException refused = assertThrows(LeaseException.class, () -> fresh.checkpointStore().orElseThrow().acquire(pipeline, "new:2"));
            assertTrue(refused.getMessage().contains(pipeline) && refused.getMessage().contains("old:1"), refused.getMessage());
            // the old process stalls (its heartbeats stop); after the TTL the new one takes over and fences it
            ((KafkaSink) old).store().heldFor(pipeline).heartbeat.cancel(false);
            Thread.sleep(1500);
            Lease lease = fresh.checkpointStore().orElseThrow().acquire(pipeline, "new:2");
            assertTrue(lease.token() > oldLease.token());
            assertThrows(LeaseException.class, () -> {
                oldWriter.write(Batch.of(s, List.of(ChangeEvent.insert("t", new Object[] {2L}, new Object[] {2L}, 0, pos(2))),
                        CheckpointUpdate.of(oldLease, "public.t", "old-2")));
                oldWriter.flush();
            }, "the fenced process cannot commit");
            assertEquals("old-1", fresh.checkpointStore().orElseThrow().load(pipeline, "public.t").orElseThrow());
            assertEquals(1, readAll(prefix + ".public.t", 1, Duration.ofSeconds(2)).size(), "the fenced row never became visible");
        } finally {
            try {
                oldWriter.close();
            } catch (RuntimeException expected) {
                // fenced
            }
            try {
                old.close();
            } catch (RuntimeException expected) {
                // fenced
            }
        }
    }

    /** A broker refusing a record (larger than the topic allows) fails the flush, with and without transactions. */
    @Test
    void aRecordTheBrokerRefusesFailsTheFlushSoTheEngineWritesAgain() throws Exception {
        TableSchema s = new TableSchema("big", List.of(Column.required("id", LogicalType.INT64), Column.of("blob", LogicalType.BYTES)),
                List.of("id"));
        byte[] blob = new byte[16_000];
        new java.util.Random(1).nextBytes(blob);
        for (String transactions : List.of("false", "true")) {
            String prefix = "refused" + transactions + System.nanoTime();
            try (org.apache.kafka.clients.admin.Admin admin = kafka.admin()) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(prefix + ".public.big", 1, (short) 1)
                        .configs(Map.of("max.message.bytes", "4000")))).all().get();
            }
            try (Sink sink = sink(prefix, Map.of("transactions", transactions)); TableWriter w = sink.open(s)) {
                w.write(Batch.of(s, List.of(ChangeEvent.insert("big", new Object[] {1L}, new Object[] {1L, new byte[] {1}}, 0, pos(1)),
                        ChangeEvent.insert("big", new Object[] {2L}, new Object[] {2L, blob}, 0, pos(2)))));
                dev.dbsync.spi.DataException e = assertThrows(dev.dbsync.spi.DataException.class, w::flush,
                        "transactions=" + transactions + ": the refused record is reported at the flush");
                assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("large") || e.getMessage().contains("abort"),
                        e.getMessage());
                // the engine then writes the events again in halves: the small one alone goes through
                w.write(Batch.of(s, List.of(ChangeEvent.insert("big", new Object[] {1L}, new Object[] {1L, new byte[] {1}}, 0, pos(1)))));
                w.flush();
            }
            List<ConsumerRecord<byte[], byte[]>> got = readAll(prefix + ".public.big", 0, Duration.ofSeconds(2));
            assertTrue(got.stream().allMatch(r -> r.value().length < 4000), "nothing oversized was stored");
            assertTrue(!got.isEmpty(), "the rewritten small record is there");
        }
    }

    private CheckpointStore storeOn(String topic) {
        KafkaCheckpointStoreFactory f = new KafkaCheckpointStoreFactory();
        return f.create(f.configDef().parse(Map.of("bootstrap.servers", kafka.bootstrap(), "checkpoint.topic", topic)));
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
        return readAll(topic, expected, Duration.ofSeconds(15));
    }

    /** Reads the topic's committed records from the beginning until {@code expected} arrived or the wait ends. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int expected, Duration wait) {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("isolation.level", "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            c.partitionsFor(topic).forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            c.assign(tps);
            c.seekToBeginning(tps);
            // up to the end offsets (which include transaction markers and records of open transactions), or
            // until the expected number of records arrived; whatever comes first within the wait
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < deadline && (expected == 0 ? !reached(c, end) : out.size() < expected)) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
            c.poll(Duration.ofMillis(expected == 0 ? 0 : 200)).forEach(out::add);
        }
        return out;
    }

    private static boolean reached(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected, Duration wait) {
        return readAll(kafka.bootstrap(), topic, expected, wait);
    }
}
