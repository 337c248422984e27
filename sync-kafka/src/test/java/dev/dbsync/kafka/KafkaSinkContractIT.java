package dev.dbsync.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The shared sink contract on the Kafka sink. The "target" of a table is its topic read by a plain
 * {@code read_committed} consumer and folded into its live rows: upserts replace the key's row, deletes remove
 * it, a truncate empties the table (one partition, so its order with the rows is total).
 */
class KafkaSinkContractIT extends SinkContractTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaTestCluster kafka = KafkaTestCluster.get();
    private final String prefix = "contract" + System.nanoTime();

    @Override
    protected Sink newSink() {
        KafkaSinkFactory f = new KafkaSinkFactory();
        return f.create(f.configDef().parse(Map.of("bootstrap.servers", kafka.bootstrap(), "topic.prefix", prefix,
                "checkpoint.topic", prefix + "_checkpoints")));
    }

    /** Kafka topic names hold only letters, digits, '.', '_' and '-'. */
    @Override
    protected String oddTableBase() {
        return "Odd_Tab-le_X";
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        String topic = prefix + ".public." + target.name();
        List<ConsumerRecord<byte[], byte[]>> records = KafkaSinkIT.readAll(kafka.bootstrap(), topic, 0, Duration.ofSeconds(2));
        Map<List<Object>, Map<String, Object>> rows = new LinkedHashMap<>();
        EnvelopeReader reader = null;
        try {
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (r.value() == null) {
                    continue;
                }
                JsonNode value = JSON.readTree(r.value());
                if (value.path("payload").path("op").asText().equals("t")) {
                    rows.clear();
                    continue;
                }
                if (reader == null) {
                    reader = EnvelopeReader.of(target.name(), JSON.readTree(r.key()), value, List.of(), JSON);
                }
                ChangeEvent e = reader.decode(value, Position.of(r.offset()), r.offset() + 1);
                if (e.operation() == Operation.DELETE) {
                    rows.remove(e.key());
                } else {
                    Map<String, Object> row = new LinkedHashMap<>();
                    List<Column> cols = reader.schema().columns();
                    for (int i = 0; i < cols.size(); i++) {
                        row.put(cols.get(i).name(), e.values().get(i));
                    }
                    rows.put(e.key(), row);
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return new ArrayList<>(rows.values());
    }
}
