package dev.dbsync.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka as a dbsync sink: every change becomes a Debezium change event on the topic
 * {@code <topic.prefix>.<schema>.<table>}, keyed by the primary key (so Kafka's default partitioner keeps each
 * key's changes in one partition, in order), with a tombstone after each delete for log compaction.
 * <p>With transactions (the default) all writers share one transactional producer: a batch, and the checkpoint
 * record the engine hands along with it, go into one Kafka transaction, committed at the writer's flush, so
 * consumers reading {@code read_committed} see rows and checkpoint together or neither. When the sink's own
 * checkpoint store holds the pipeline's lease, the writers use that lease's producer, whose
 * {@code transactional.id} is the pipeline's: a newer process fences this one in Kafka itself.
 * <p>Thread-safe: writers of different tables are used from different threads.
 */
final class KafkaSink implements Sink {

    private final Map<String, Object> clientProps;
    private final String prefix;
    private final String topicSchema;
    private final DecimalHandling decimals;
    private final boolean schemas;
    private final boolean tombstones;
    private final boolean transactions;
    private final int partitions;
    private final short replication;
    private final boolean autoCreate;
    private final int maxRecordBytes;
    private final KafkaCheckpointStore store;
    private final String txnPrefix;
    private final ObjectMapper json = new ObjectMapper();
    private final Set<String> topics = ConcurrentHashMap.newKeySet();
    private volatile Txn own;
    private final Map<String, Txn> pipelineTxns = new ConcurrentHashMap<>();

    KafkaSink(Map<String, Object> clientProps, String prefix, String topicSchema, DecimalHandling decimals, boolean schemas,
              boolean tombstones, boolean transactions, int partitions, short replication, boolean autoCreate,
              KafkaCheckpointStore store, String txnPrefix) {
        this.clientProps = Map.copyOf(clientProps);
        this.prefix = prefix;
        this.topicSchema = topicSchema;
        this.decimals = decimals;
        this.schemas = schemas;
        this.tombstones = tombstones;
        this.transactions = transactions;
        this.partitions = partitions;
        this.replication = replication;
        this.autoCreate = autoCreate;
        this.store = store;
        this.txnPrefix = txnPrefix;
        Object max = clientProps.get("max.request.size");
        this.maxRecordBytes = max == null ? 1_048_576 : Integer.parseInt(max.toString());
    }

    @Override
    public Set<SinkCapability> capabilities() {
        EnumSet<SinkCapability> caps = EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE);
        if (transactions) {
            caps.add(SinkCapability.TRANSACTIONS);
            caps.add(SinkCapability.CHECKPOINT_STORE);
        }
        return caps;
    }

    @Override
    public Set<LogicalType> supportedTypes() {
        EnumSet<LogicalType> types = EnumSet.copyOf(LogicalType.CORE);
        types.add(LogicalType.TIME);
        return types;
    }

    @Override
    public Optional<CheckpointStore> checkpointStore() {
        return transactions ? Optional.of(store) : Optional.empty();
    }

    /** The topic of a target table: {@code <prefix>.<schema>.<table>}, the schema added when the name has none. */
    String topicFor(String target) {
        String qualified = Envelope.lastDot(target) >= 0 || topicSchema.isEmpty() ? target : topicSchema + "." + target;
        String topic = prefix.isEmpty() ? qualified : prefix + "." + qualified;
        return topic.replace("\"", "");
    }

    @Override
    public TableWriter open(TableSchema schema) {
        String topic = topicFor(schema.name());
        if (!topic.matches("[a-zA-Z0-9._-]{1,249}")) {
            throw new SyncException(ErrorType.CONFIG, "table '" + schema.name() + "': topic name '" + topic
                    + "' is not a legal Kafka topic name (letters, digits, '.', '_', '-'); name the target differently");
        }
        ensureTopic(topic);
        Envelope envelope = new Envelope(schema, topic, prefix, decimals, schemas, json);
        return new KafkaTableWriter(this, envelope, topic, tombstones, maxRecordBytes);
    }

    private void ensureTopic(String topic) {
        if (!autoCreate || topics.contains(topic)) {
            return;
        }
        try (Admin admin = Admin.create(clientProps)) {
            NewTopic t = new NewTopic(topic, Optional.of(partitions), replication < 0 ? Optional.empty() : Optional.of(replication));
            try {
                admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new SyncException(ErrorType.EXTERNAL, "topic '" + topic + "': cannot create it: " + e.getCause().getMessage(), e.getCause());
                }
            }
            topics.add(topic);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted while creating topic '" + topic + "'", e);
        } catch (TimeoutException e) {
            throw new RetriableException("topic '" + topic + "': Kafka did not answer within 30 s", e);
        } catch (KafkaException e) {
            throw new SyncException(ErrorType.EXTERNAL, "topic '" + topic + "': " + e.getMessage(), e);
        }
    }

    /** The number of partitions of a topic, for truncate events sent to each. */
    int partitionsOf(String topic) {
        return ownTxn().producer().partitionsFor(topic).size();
    }

    KafkaCheckpointStore store() {
        return store;
    }

    /**
     * The transaction a batch goes into. With the pipeline known (from the checkpoint the engine hands along):
     * the lease's producer when the engine keeps its checkpoints in this sink's store, else a producer whose
     * {@code transactional.id} is derived from the pipeline, so a restarted process aborts the transaction a
     * crashed one left open at once instead of blocking {@code read_committed} consumers until it times out.
     * Without a pipeline (the sink used outside the engine): the sink's own producer.
     */
    Txn txnFor(String pipeline) {
        if (!transactions || pipeline == null) {
            return ownTxn();
        }
        KafkaCheckpointStore.PipelineLease pl = store.heldFor(pipeline);
        if (pl != null) {
            return pl.txn;
        }
        return pipelineTxns.computeIfAbsent(pipeline, p -> newTxn(txnPrefix + p + ".sink", "pipeline " + p + " (Kafka sink " + prefix + ")"));
    }

    private Txn ownTxn() {
        Txn t = own;
        if (t == null) {
            synchronized (this) {
                t = own;
                if (t == null) {
                    // outside a pipeline: a transactional.id of its own, which fences nobody
                    t = newTxn(transactions ? txnPrefix + "sink-" + UUID.randomUUID() : null, "Kafka sink " + prefix);
                    own = t;
                }
            }
        }
        return t;
    }

    private Txn newTxn(String transactionalId, String description) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("enable.idempotence", "true");
        p.put("acks", "all");
        KafkaSettings.producerDefaults(p);
        if (transactionalId != null) {
            p.put("transactional.id", transactionalId);
            // a transaction left open by a crash blocks read_committed consumers at most this long
            p.putIfAbsent("transaction.timeout.ms", "15000");
        }
        Txn t = new Txn(new KafkaProducer<>(p), transactionalId != null, description);
        t.init();
        return t;
    }

    @Override
    public void close() {
        Txn t = own;
        if (t != null) {
            t.close();
        }
        pipelineTxns.values().forEach(Txn::close);
        if (store != null) {
            store.close();
        }
    }
}
