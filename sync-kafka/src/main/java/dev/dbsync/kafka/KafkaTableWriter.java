package dev.dbsync.kafka;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes one table's changes as Debezium change events to its topic. Records are sent at {@link #write} (Kafka
 * buffers and batches them) and made durable and visible at {@link #flush}: the transaction they went into is
 * committed, or the producer flushed when transactions are off. Used by one thread at a time.
 */
final class KafkaTableWriter implements TableWriter {

    private final KafkaSink sink;
    private final Envelope envelope;
    private final String topic;
    private final boolean tombstones;
    private final int maxRecordBytes;
    /** The transactions this writer's unflushed records went into, with their generations. */
    private final Map<Txn, Long> pending = new IdentityHashMap<>();
    private String pipeline;
    private final java.util.concurrent.atomic.AtomicReference<Exception> sendErrors = new java.util.concurrent.atomic.AtomicReference<>();

    KafkaTableWriter(KafkaSink sink, Envelope envelope, String topic, boolean tombstones, int maxRecordBytes) {
        this.sink = sink;
        this.envelope = envelope;
        this.topic = topic;
        this.tombstones = tombstones;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public WriteResult write(Batch batch) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(batch.events().size() + 8);
        List<WriteResult.FailedEvent> failed = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (ChangeEvent e : batch.events()) {
            byte[] key;
            byte[] value;
            try {
                key = envelope.key(e);
                value = envelope.value(e, now);
            } catch (IllegalArgumentException ex) {
                failed.add(new WriteResult.FailedEvent(e, "table '" + batch.schema().name() + "' key " + e.keyText() + ": "
                        + ex.getMessage(), ex));
                continue;
            }
            if (key.length + value.length + 128 > maxRecordBytes) {
                failed.add(new WriteResult.FailedEvent(e, "table '" + batch.schema().name() + "' key " + e.keyText()
                        + ": the change event is " + (key.length + value.length) + " bytes, more than the producer's max.request.size "
                        + maxRecordBytes, null));
                continue;
            }
            records.add(new ProducerRecord<>(topic, (Integer) null, (Long) now, key, value));
            if (e.operation() == Operation.DELETE && tombstones) {
                records.add(new ProducerRecord<>(topic, (Integer) null, (Long) now, key, (byte[]) null));
            }
        }
        Optional<CheckpointUpdate> cp = batch.checkpoint();
        Txn txn;
        // the checkpoint goes along only when the engine keeps its checkpoints in this sink's store (it then holds
        // the pipeline's lease here); with another store the engine saves it there itself
        if (cp.isPresent() && sink.store() != null && sink.store().heldFor(cp.get().lease().pipeline()) != null) {
            pipeline = cp.get().lease().pipeline();
            txn = sink.store().current(cp.get().lease()).txn;
            records.add(sink.store().checkpointRecord(cp.get().lease(), cp.get().key(), cp.get().text()));
        } else {
            // the pipeline's own transactional id, so a restarted process aborts what a killed one left open
            if (batch.pipeline().isPresent()) {
                pipeline = batch.pipeline().get();
            } else if (cp.isPresent()) {
                pipeline = cp.get().lease().pipeline();
            }
            txn = sink.txnFor(pipeline);
        }
        if (!records.isEmpty()) {
            long gen = txn.send(records, sendErrors);
            pending.put(txn, gen);
        }
        return WriteResult.appliedExcept(batch, failed);
    }

    @Override
    public void flush() {
        try {
            for (Map.Entry<Txn, Long> e : pending.entrySet()) {
                e.getKey().commit(e.getValue());
            }
        } catch (RuntimeException e) {
            sendErrors.set(null); // reported by this exception; the engine writes the records again
            throw e;
        } finally {
            pending.clear();
        }
        Exception failed = sendErrors.getAndSet(null);
        if (failed != null) {
            // only without transactions (with them the commit fails): some records may have landed, all are sent again
            throw new dev.dbsync.spi.DataException("topic '" + topic + "': records were refused by Kafka: " + failed.getMessage(), failed);
        }
    }

    @Override
    public void truncate() {
        flush();
        byte[] value = envelope.truncateValue(envelope.schema().name(), System.currentTimeMillis());
        int n = sink.partitionsOf(topic);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(n);
        // one truncate event per partition: each partition's consumer sees it in order with that partition's keys
        for (int p = 0; p < n; p++) {
            records.add(new ProducerRecord<>(topic, p, null, value));
        }
        Txn txn = sink.txnFor(pipeline);
        pending.put(txn, txn.send(records, sendErrors));
        flush();
    }

    @Override
    public void close() {
        flush();
    }
}
