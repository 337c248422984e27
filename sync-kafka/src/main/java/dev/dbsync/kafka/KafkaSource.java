package dev.dbsync.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads topics of Debezium change events (written by dbsync's Kafka sink or by Debezium with JSON schemas) as a
 * dbsync source. The table {@code public.orders} is the topic {@code <topic.prefix>.public.orders}; its schema
 * comes from the newest records' Connect schemas. Positions are the partitions' offsets, kept in dbsync's
 * checkpoint (no consumer group, no offsets committed to Kafka); reads are {@code read_committed}.
 * <ul>
 *   <li>{@link #readSnapshot}: the topic from the beginning (or the given offsets) up to its end at the call;</li>
 *   <li>{@link #readChanges}: the same from {@link #changesStart}; the cursor columns are not used;</li>
 *   <li>the change feed ({@link StreamingSource}): every topic of the pipeline from the offsets at
 *       {@link #streamStart}, for the CDC strategy.</li>
 * </ul>
 * Truncate events ({@code op = t}) are skipped: Kafka orders them only within a partition.
 */
final class KafkaSource implements Source, StreamingSource {

    private final Map<String, Object> clientProps;
    private final String prefix;
    private final Duration pollTimeout;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, EnvelopeReader> schemas = new ConcurrentHashMap<>();
    private final Map<String, TopicReader> readers = new ConcurrentHashMap<>();

    KafkaSource(Map<String, Object> clientProps, String prefix, Duration pollTimeout) {
        this.clientProps = Map.copyOf(clientProps);
        this.prefix = prefix;
        this.pollTimeout = pollTimeout;
    }

    String topicOf(String table) {
        return prefix.isEmpty() ? table : prefix + "." + table;
    }

    @Override
    public List<String> listTables() {
        try (Admin admin = Admin.create(clientProps)) {
            List<String> out = new ArrayList<>();
            for (String t : admin.listTopics().names().get(30, TimeUnit.SECONDS)) {
                if (prefix.isEmpty() || t.startsWith(prefix + ".")) {
                    out.add(prefix.isEmpty() ? t : t.substring(prefix.length() + 1));
                }
            }
            out.sort(null);
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted while listing topics", e);
        } catch (Exception e) {
            throw new RetriableException("listing the topics of prefix '" + prefix + "' failed: " + e.getMessage(), e);
        }
    }

    @Override
    public TableSchema describe(TableSpec spec) {
        EnvelopeReader r = readerFor(spec);
        return r.schema();
    }

    private EnvelopeReader readerFor(TableSpec spec) {
        EnvelopeReader r = schemas.get(spec.table());
        if (r == null) {
            r = discover(spec);
            schemas.put(spec.table(), r);
        }
        return r;
    }

    /** The schema of the newest change event of the table's topic. */
    private EnvelopeReader discover(TableSpec spec) {
        String topic = topicOf(spec.table());
        try (KafkaConsumer<byte[], byte[]> c = TopicReader.consumer(clientProps)) {
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': topic '" + topic + "' does not exist");
            }
            List<TopicPartition> tps = new ArrayList<>();
            infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            c.assign(tps);
            Map<TopicPartition, Long> begin = c.beginningOffsets(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            for (TopicPartition tp : tps) {
                c.seek(tp, Math.max(begin.get(tp), end.get(tp) - 50));
            }
            ConsumerRecord<byte[], byte[]> newest = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!done(c, tps, end) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && r.key() != null && (newest == null || r.timestamp() >= newest.timestamp())) {
                        if (hasRow(r.value())) {
                            newest = r;
                        }
                    }
                }
            }
            if (newest == null) {
                throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': topic '" + topic
                        + "' holds no change event to take the table's schema from (empty, or only tombstones and truncates)");
            }
            JsonNode key = json.readTree(newest.key());
            JsonNode value = json.readTree(newest.value());
            if (!value.has("schema") || !key.has("schema")) {
                throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': the records of topic '" + topic
                        + "' carry no schema; write them with schemas (dbsync: envelope.schemas=true; Connect: JsonConverter"
                        + " schemas.enable=true)");
            }
            return EnvelopeReader.of(spec.table(), key, value, spec.keyColumns(), json);
        } catch (IOException e) {
            throw new SyncException(ErrorType.DATA, "table '" + spec.table() + "': a record of topic '" + topic + "' is not JSON", e);
        } catch (IllegalArgumentException e) {
            throw new SyncException(ErrorType.CONFIG, e.getMessage(), e);
        } catch (KafkaException e) {
            throw new RetriableException("table '" + spec.table() + "': reading topic '" + topic + "' failed: " + e.getMessage(), e);
        }
    }

    private boolean hasRow(byte[] value) {
        try {
            JsonNode v = json.readTree(value);
            JsonNode p = v.has("payload") ? v.get("payload") : v;
            String op = p.path("op").asText("");
            return op.equals("r") || op.equals("c") || op.equals("u") || op.equals("d");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean done(KafkaConsumer<byte[], byte[]> c, List<TopicPartition> tps, Map<TopicPartition, Long> end) {
        for (TopicPartition tp : tps) {
            if (c.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }

    /** The reader of one table, reused between chunks (the engine reads a table from one thread at a time). */
    private TopicReader tableReader(TableSpec spec) {
        return readers.computeIfAbsent(spec.table(), t -> {
            Map<String, EnvelopeReader> m = new LinkedHashMap<>();
            m.put(topicOf(t), readerFor(spec));
            return new TopicReader(clientProps, m, json);
        });
    }

    @Override
    public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        return read(spec, after, maxRows);
    }

    @Override
    public Position changesStart(TableSpec spec, TableSchema schema) {
        return tableReader(spec).end();
    }

    @Override
    public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        return read(spec, after, maxRows);
    }

    private Chunk read(TableSpec spec, Position after, int maxRows) {
        TopicReader r = tableReader(spec);
        if (after == null || !after.equals(r.position())) {
            r.seek(after);
        }
        Position end = r.end();
        List<ChangeEvent> events = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (events.size() < maxRows && !r.reached(end)) {
            events.addAll(r.poll(Duration.ofMillis(200)));
            if (events.isEmpty() && System.nanoTime() > deadline) {
                throw new RetriableException("table '" + spec.table() + "': topic '" + topicOf(spec.table())
                        + "' gave nothing for 60 s although its end offsets are " + end);
            }
        }
        // a poll may return more than asked: the chunk ends with its last event either way
        Position next = events.isEmpty() ? after : events.get(events.size() - 1).position();
        return new Chunk(events, next, r.reached(end));
    }

    @Override
    public Position streamStart(List<TableSpec> tables) {
        Map<String, EnvelopeReader> m = new LinkedHashMap<>();
        for (TableSpec s : tables) {
            m.put(topicOf(s.table()), readerFor(s));
        }
        try (TopicReader r = new TopicReader(clientProps, m, json)) {
            return r.end();
        }
    }

    @Override
    public ChangeStream openStream(List<TableSchema> tables, List<TableSpec> specs, Position from) {
        Map<String, EnvelopeReader> m = new LinkedHashMap<>();
        for (TableSpec s : specs) {
            m.put(topicOf(s.table()), readerFor(s));
        }
        TopicReader r = new TopicReader(clientProps, m, json);
        r.seek(from);
        // what was committed when the feed opened: a run that must catch up reads at least this far
        Position endAtOpen = r.end();
        return new ChangeStream() {
            @Override
            public boolean caughtUp() {
                return r.reached(endAtOpen);
            }

            /** Past tombstones, truncates and transaction markers, which carry no event of their own. */
            @Override
            public Position idlePosition() {
                return r.position();
            }

            @Override
            public List<ChangeEvent> poll(Duration timeout) {
                return r.poll(timeout.isZero() ? pollTimeout : timeout);
            }

            @Override
            public void acknowledge(Position flushed) {
                // Kafka keeps the records by its retention; dbsync's checkpoint holds where the pipeline is
            }

            @Override
            public void close() {
                r.close();
            }
        };
    }

    @Override
    public void close() {
        readers.values().forEach(TopicReader::close);
        readers.clear();
    }
}
