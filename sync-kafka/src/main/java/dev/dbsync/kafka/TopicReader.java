package dev.dbsync.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code read_committed} consumer over every partition of some topics, without a consumer group: where it is
 * lives in dbsync's position, the flattened list {@code [topic, partition, next offset, …]} of all its
 * partitions, so an event's position resumes exactly after it. Used by one thread at a time.
 */
final class TopicReader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopicReader.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;
    private final Map<TopicPartition, Integer> slot = new HashMap<>();
    private final Object[] next;
    private final Map<String, EnvelopeReader> readers;
    private final ObjectMapper json;

    TopicReader(Map<String, Object> clientProps, Map<String, EnvelopeReader> readersByTopic, ObjectMapper json) {
        this.readers = readersByTopic;
        this.json = json;
        this.consumer = consumer(clientProps);
        List<TopicPartition> list = new ArrayList<>();
        for (String topic : readersByTopic.keySet()) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                consumer.close();
                throw new dev.dbsync.spi.SyncException(dev.dbsync.spi.ErrorType.EXTERNAL, "topic '" + topic + "' does not exist");
            }
            for (PartitionInfo p : infos) {
                list.add(new TopicPartition(topic, p.partition()));
            }
        }
        list.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        this.partitions = List.copyOf(list);
        this.next = new Object[3 * partitions.size()];
        for (int i = 0; i < partitions.size(); i++) {
            slot.put(partitions.get(i), i);
            next[3 * i] = partitions.get(i).topic();
            next[3 * i + 1] = partitions.get(i).partition();
        }
        consumer.assign(partitions);
    }

    static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> clientProps) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", "false");
        p.putIfAbsent("max.poll.records", "2000");
        return new KafkaConsumer<>(p);
    }

    /** Positions the reader at {@code from} (null = every partition's beginning; missing partitions too). */
    void seek(Position from) {
        Map<TopicPartition, Long> given = offsets(from);
        List<TopicPartition> fromStart = new ArrayList<>();
        for (int i = 0; i < partitions.size(); i++) {
            TopicPartition tp = partitions.get(i);
            Long off = given.get(tp);
            if (off == null) {
                fromStart.add(tp);
            } else {
                consumer.seek(tp, off);
            }
        }
        if (!fromStart.isEmpty()) {
            consumer.seekToBeginning(fromStart);
        }
        for (int i = 0; i < partitions.size(); i++) {
            next[3 * i + 2] = consumer.position(partitions.get(i));
        }
    }

    static Map<TopicPartition, Long> offsets(Position p) {
        Map<TopicPartition, Long> m = new HashMap<>();
        if (p == null) {
            return m;
        }
        if (p.size() % 3 != 0) {
            throw new IllegalArgumentException("not a Kafka position: " + p);
        }
        for (int i = 0; i < p.size(); i += 3) {
            m.put(new TopicPartition((String) p.get(i), ((Number) p.get(i + 1)).intValue()), ((Number) p.get(i + 2)).longValue());
        }
        return m;
    }

    /** The current position: every partition's next offset. */
    Position position() {
        return Position.of(next.clone());
    }

    /** The end offsets now (what is committed so far) as a position. */
    Position end() {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        Object[] v = next.clone();
        for (int i = 0; i < partitions.size(); i++) {
            v[3 * i + 2] = end.get(partitions.get(i));
        }
        return Position.of(v);
    }

    /** Whether every partition has been read up to {@code end}. */
    boolean reached(Position end) {
        for (int i = 0; i < partitions.size(); i++) {
            if ((Long) next[3 * i + 2] < ((Number) end.get(3 * i + 2)).longValue()) {
                return false;
            }
        }
        return true;
    }

    /** Polls once and decodes what came; tombstones and truncates move the position but give no event. */
    List<ChangeEvent> poll(Duration timeout) {
        List<ChangeEvent> out = new ArrayList<>();
        try {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
                int i = slot.get(new TopicPartition(r.topic(), r.partition()));
                next[3 * i + 2] = r.offset() + 1;
                if (r.value() == null) {
                    continue;
                }
                EnvelopeReader reader = readers.get(r.topic());
                JsonNode value;
                try {
                    value = json.readTree(r.value());
                } catch (IOException e) {
                    throw new DataException("topic '" + r.topic() + "' partition " + r.partition() + " offset " + r.offset()
                            + ": the record value is not JSON: " + e.getMessage(), e);
                }
                ChangeEvent e;
                try {
                    e = reader.decode(value, Position.ofOwned(next.clone()), r.offset() + 1);
                } catch (RuntimeException ex) {
                    throw new DataException("topic '" + r.topic() + "' partition " + r.partition() + " offset " + r.offset()
                            + ": " + ex.getMessage(), ex);
                }
                if (e == null) {
                    String op = value.path("payload").path("op").asText(value.path("op").asText());
                    if ("t".equals(op)) {
                        // not applied (Kafka orders a truncate only within its partition): say so, never silently
                        LOG.warn("topic {} partition {} offset {}: a truncate of the source table is not applied to the"
                                + " target (the Kafka source skips truncate events); rows deleted by it stay in the target"
                                + " until a fresh snapshot", r.topic(), r.partition(), r.offset());
                    } else {
                        LOG.debug("topic {} partition {} offset {}: not a row change (op {}), skipped", r.topic(), r.partition(),
                                r.offset(), op);
                    }
                    continue;
                }
                out.add(e);
            }
        } catch (KafkaException e) {
            throw new RetriableException("reading topics " + readers.keySet() + " failed: " + e.getMessage(), e);
        }
        // the consumer's positions also move past transaction markers, which no record reports
        for (int i = 0; i < partitions.size(); i++) {
            long pos = consumer.position(partitions.get(i));
            if (pos > (Long) next[3 * i + 2]) {
                next[3 * i + 2] = pos;
            }
        }
        return out;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
