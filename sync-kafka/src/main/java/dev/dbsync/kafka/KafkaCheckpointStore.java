package dev.dbsync.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.ErrorType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints on a compacted Kafka topic with one partition. Records are keyed {@code pipeline NUL kind [NUL
 * key]}: the lease record ({@code holder, token, renewed}) and one record per checkpoint ({@code token, text},
 * a tombstone when cleared). Reads use {@code read_committed} and catch up from the last offset read.
 * <p>Leases: a holder renews its lease record every third of the lease TTL from a background thread; a lease
 * not renewed within the TTL (its process died) can be taken by another process. Taking a lease creates a
 * transactional producer whose {@code transactional.id} is the pipeline's: Kafka itself fences the older holder's
 * producer, so a process that lost the lease (paused past the TTL) cannot commit a save any more. Checkpoint
 * records written under a token older than the lease in force before them are ignored when loading.
 * <p>Thread-safe. The lease's liveness compares the renewal time written by the holder with the reader's clock:
 * hosts' clocks must agree within a fraction of the TTL.
 */
final class KafkaCheckpointStore implements CheckpointStore {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaCheckpointStore.class);
    private static final char SEP = '\u0000';
    /** Checkpoint texts may be hundreds of kilobytes: records up to this size. */
    private static final int MAX_BYTES = 8 << 20;

    private final Map<String, Object> clientProps;
    private final String topic;
    private final short replication;
    private final Duration ttl;
    private final String txnPrefix;
    private final ObjectMapper json = new ObjectMapper();
    private final TopicPartition partition;
    private final Object viewLock = new Object();
    private final Map<String, ObjectNode> leases = new HashMap<>();
    private final Map<String, String> texts = new HashMap<>();
    /**
     * The offset of the last checkpoint this store wrote itself: a read of the topic goes at least past it. A committed
     * transaction's records become readable (read_committed) only once its markers are written, which the commit does
     * not wait for; reading up to the end as it stood then would apply older records of the key over the newer one.
     */
    private long ownWrite = -1;
    private final Map<String, PipelineLease> held = new ConcurrentHashMap<>();
    private final ScheduledExecutorService heartbeats;
    private KafkaConsumer<byte[], byte[]> consumer;
    private long readOffset;
    private volatile boolean closed;

    /** A lease this process holds: its transactional producer, and its renewal. */
    static final class PipelineLease {
        final Lease lease;
        final Txn txn;
        volatile long renewedAt;
        ScheduledFuture<?> heartbeat;

        PipelineLease(Lease lease, Txn txn, long renewedAt) {
            this.lease = lease;
            this.txn = txn;
            this.renewedAt = renewedAt;
        }
    }

    KafkaCheckpointStore(Map<String, Object> clientProps, String topic, short replication, Duration ttl, String txnPrefix) {
        this.clientProps = Map.copyOf(clientProps);
        this.topic = topic;
        this.replication = replication;
        this.ttl = ttl;
        this.txnPrefix = txnPrefix;
        this.partition = new TopicPartition(topic, 0);
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dbsync-kafka-lease-" + topic);
            t.setDaemon(true);
            return t;
        });
        ensureTopic();
    }

    private void ensureTopic() {
        try (Admin admin = Admin.create(clientProps)) {
            NewTopic t = new NewTopic(topic, Optional.of(1), replication < 0 ? Optional.empty() : Optional.of(replication))
                    .configs(Map.of("cleanup.policy", "compact", "max.message.bytes", Integer.toString(MAX_BYTES)));
            try {
                admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new SyncException(ErrorType.EXTERNAL, "checkpoint topic '" + topic + "': cannot create it: "
                            + e.getCause().getMessage(), e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted while creating checkpoint topic '" + topic + "'", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new RetriableException("checkpoint topic '" + topic + "': Kafka did not answer within 30 s (bootstrap.servers "
                    + clientProps.get("bootstrap.servers") + ")", e);
        } catch (KafkaException e) {
            throw new SyncException(ErrorType.EXTERNAL, "checkpoint topic '" + topic + "': " + e.getMessage(), e);
        }
    }

    /** Reads the topic from the last offset read up to its current end. Callers hold viewLock. */
    private void catchUp() {
        if (consumer == null) {
            Map<String, Object> p = new HashMap<>(clientProps);
            p.put("key.deserializer", ByteArrayDeserializer.class.getName());
            p.put("value.deserializer", ByteArrayDeserializer.class.getName());
            p.put("isolation.level", "read_committed");
            p.put("enable.auto.commit", "false");
            p.put("client.id", "dbsync-checkpoints-" + topic + "-" + ProcessHandle.current().pid());
            consumer = new KafkaConsumer<>(p);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            readOffset = 0;
        }
        try {
            long end = Math.max(consumer.endOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition), ownWrite + 1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    apply(r);
                }
                if (System.nanoTime() > deadline) {
                    throw new RetriableException("checkpoint topic '" + topic + "': could not read up to offset " + end + " within 30 s");
                }
            }
            readOffset = consumer.position(partition);
        } catch (KafkaException e) {
            throw new RetriableException("checkpoint topic '" + topic + "': reading failed: " + e.getMessage(), e);
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null) {
            return;
        }
        String k = new String(r.key(), StandardCharsets.UTF_8);
        int s1 = k.indexOf(SEP);
        if (s1 < 0) {
            return;
        }
        String pipeline = k.substring(0, s1);
        String rest = k.substring(s1 + 1);
        try {
            if (rest.equals("lease")) {
                if (r.value() != null) {
                    leases.put(pipeline, (ObjectNode) json.readTree(r.value()));
                }
            } else if (rest.startsWith("cp" + SEP)) {
                if (r.value() == null) {
                    // a clear: a tombstone carries no token, so the current lease's check is done at write time
                    texts.remove(k);
                    return;
                }
                JsonNode v = json.readTree(r.value());
                ObjectNode lease = leases.get(pipeline);
                long current = lease == null ? 0 : lease.path("token").asLong();
                if (v.path("token").asLong() < current) {
                    LOG.warn("checkpoint '{}' of pipeline {} written under token {} after lease token {} was taken: ignored",
                            rest.substring(3), pipeline, v.path("token").asLong(), current);
                    return;
                }
                texts.put(k, v.path("text").asText());
            }
        } catch (IOException e) {
            LOG.warn("checkpoint topic '{}': unreadable record at offset {} ignored: {}", topic, r.offset(), e.getMessage());
        }
    }

    private static String cpKey(String pipeline, String key) {
        return pipeline + SEP + "cp" + SEP + key;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Lease acquire(String pipeline, String holder) {
        checkOpen();
        ObjectNode before;
        synchronized (viewLock) {
            catchUp();
            before = leases.get(pipeline);
        }
        refuseIfLive(pipeline, holder, before);
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("enable.idempotence", "true");
        p.put("acks", "all");
        p.put("transactional.id", txnPrefix + pipeline);
        p.put("max.request.size", Integer.toString(MAX_BYTES));
        // the sink's writers send their batches through this producer when the engine keeps checkpoints here
        KafkaSettings.producerDefaults(p);
        p.put("transaction.timeout.ms", Long.toString(Math.max(10_000, ttl.toMillis() * 2)));
        p.put("client.id", "dbsync-" + pipeline + "-" + ProcessHandle.current().pid());
        Txn txn = new Txn(new KafkaProducer<>(p), true, "pipeline " + pipeline);
        try {
            txn.init();
            long token;
            synchronized (viewLock) {
                catchUp();
                ObjectNode now = leases.get(pipeline);
                if (now != null && (before == null || now.path("token").asLong() != before.path("token").asLong())) {
                    // someone acquired between our two reads; our producer has fenced theirs, but they were first
                    refuseIfLive(pipeline, holder, now);
                }
                token = (now == null ? 0 : now.path("token").asLong()) + 1;
            }
            long t0 = System.currentTimeMillis();
            txn.send(List.of(leaseRecord(pipeline, holder, token, t0, false)));
            txn.commitNow();
            Lease lease = Lease.of(pipeline, holder, token);
            PipelineLease pl = new PipelineLease(lease, txn, t0);
            PipelineLease old = held.put(pipeline, pl);
            if (old != null) {
                stop(old);
            }
            long every = Math.max(100, ttl.toMillis() / 3);
            pl.heartbeat = heartbeats.scheduleWithFixedDelay(() -> renew(pl), every, every, TimeUnit.MILLISECONDS);
            synchronized (viewLock) {
                catchUp();
            }
            return lease;
        } catch (RuntimeException e) {
            txn.close();
            throw e;
        }
    }

    private void refuseIfLive(String pipeline, String holder, ObjectNode lease) {
        if (lease == null || lease.path("released").asBoolean(false)) {
            return;
        }
        long age = System.currentTimeMillis() - lease.path("renewed").asLong();
        if (age < ttl.toMillis()) {
            throw new LeaseException("pipeline " + pipeline + " is held by " + lease.path("holder").asText()
                    + " (lease token " + lease.path("token").asLong() + ", renewed " + Math.max(0, age) + " ms ago); "
                    + holder + " cannot take it while that holder is alive (a dead holder's lease expires after "
                    + ttl.toMillis() + " ms)");
        }
    }

    private ProducerRecord<byte[], byte[]> leaseRecord(String pipeline, String holder, long token, long renewed, boolean released) {
        ObjectNode v = json.createObjectNode();
        v.put("holder", holder);
        v.put("token", token);
        v.put("renewed", renewed);
        v.put("released", released);
        return new ProducerRecord<>(topic, 0, utf8(pipeline + SEP + "lease"), utf8(v.toString()));
    }

    private void renew(PipelineLease pl) {
        if (closed || pl.txn.fenced()) {
            return;
        }
        try {
            long now = System.currentTimeMillis();
            pl.txn.lock().lock();
            try {
                pl.txn.send(List.of(leaseRecord(pl.lease.pipeline(), pl.lease.holder(), pl.lease.token(), now, false)));
                pl.txn.commitNow();
            } finally {
                pl.txn.lock().unlock();
            }
            pl.renewedAt = now;
        } catch (RuntimeException e) {
            LOG.warn("pipeline {}: renewing the lease failed: {}", pl.lease.pipeline(), e.getMessage());
        }
    }

    /** The transaction of a lease this process holds; refuses a lease that is no longer current. */
    PipelineLease current(Lease lease) {
        PipelineLease pl = held.get(lease.pipeline());
        if (pl == null || pl.lease.token() != lease.token()) {
            throw new LeaseException(lease + " is no longer current"
                    + (pl == null ? "" : " (this process holds token " + pl.lease.token() + ")"));
        }
        if (pl.txn.fenced()) {
            throw new LeaseException(lease + " was taken over by another process");
        }
        long age = System.currentTimeMillis() - pl.renewedAt;
        if (age > ttl.toMillis()) {
            throw new LeaseException(lease + " was not renewed for " + age + " ms (TTL " + ttl.toMillis()
                    + " ms): another process may have taken it");
        }
        return pl;
    }

    /** The lease this process holds for the pipeline, or null. */
    PipelineLease heldFor(String pipeline) {
        return held.get(pipeline);
    }

    /** The record that saves a checkpoint (null text = a clear), for writing inside another transaction. */
    ProducerRecord<byte[], byte[]> checkpointRecord(Lease lease, String key, String text) {
        byte[] value = null;
        if (text != null) {
            ObjectNode v = json.createObjectNode();
            v.put("token", lease.token());
            v.put("text", text);
            value = utf8(v.toString());
        }
        return new ProducerRecord<>(topic, 0, utf8(cpKey(lease.pipeline(), key)), value);
    }

    @Override
    public Optional<String> load(String pipeline, String key) {
        checkOpen();
        synchronized (viewLock) {
            catchUp();
            return Optional.ofNullable(texts.get(cpKey(pipeline, key)));
        }
    }

    @Override
    public void save(Lease lease, String key, String text) {
        write(lease, key, text);
    }

    @Override
    public void clear(Lease lease, String key) {
        write(lease, key, null);
    }

    private void write(Lease lease, String key, String text) {
        checkOpen();
        if (text != null && text.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException("checkpoint '" + key + "' of pipeline " + lease.pipeline() + " holds U+0000");
        }
        PipelineLease pl = current(lease);
        List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new java.util.ArrayList<>();
        pl.txn.lock().lock();
        try {
            pl.txn.send(List.of(checkpointRecord(lease, key, text)), null, sent);
            pl.txn.commitNow();
        } catch (dev.dbsync.spi.DataException e) {
            throw new RetriableException("pipeline " + lease.pipeline() + ": saving checkpoint '" + key + "' failed: " + e.getMessage(), e);
        } finally {
            pl.txn.lock().unlock();
        }
        long offset = -1;
        try {
            offset = sent.get(0).get(30, TimeUnit.SECONDS).offset(); // committed: the send is complete
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("checkpoint topic '{}': offset of checkpoint '{}' unknown: {}", topic, key, e.toString());
        }
        synchronized (viewLock) {
            ownWrite = Math.max(ownWrite, offset);
            if (text == null) {
                texts.remove(cpKey(lease.pipeline(), key));
            } else {
                texts.put(cpKey(lease.pipeline(), key), text);
            }
        }
    }

    @Override
    public void release(Lease lease) {
        PipelineLease pl = held.get(lease.pipeline());
        if (pl == null || pl.lease.token() != lease.token()) {
            return;
        }
        held.remove(lease.pipeline(), pl);
        if (pl.heartbeat != null) {
            pl.heartbeat.cancel(false);
        }
        try {
            if (!pl.txn.fenced()) {
                pl.txn.lock().lock();
                try {
                    pl.txn.send(List.of(leaseRecord(lease.pipeline(), lease.holder(), lease.token(), System.currentTimeMillis(), true)));
                    pl.txn.commitNow();
                } finally {
                    pl.txn.lock().unlock();
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("pipeline {}: releasing the lease failed ({}); it expires after {} ms", lease.pipeline(), e.getMessage(), ttl.toMillis());
        } finally {
            pl.txn.close();
        }
    }

    private void stop(PipelineLease pl) {
        if (pl.heartbeat != null) {
            pl.heartbeat.cancel(false);
        }
        pl.txn.close();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the Kafka checkpoint store on '" + topic + "' is closed");
        }
    }

    String topic() {
        return topic;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeats.shutdownNow();
        for (PipelineLease pl : held.values()) {
            pl.txn.close();
        }
        held.clear();
        synchronized (viewLock) {
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(2));
            }
        }
    }
}
