package dev.dbsync.kafka;

import dev.dbsync.spi.DataException;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.RetriableException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * One Kafka producer and the transaction it has open, shared by the writers of a sink (and, for a pipeline's
 * lease, by the checkpoint store). Everything sent between two commits is one transaction: a batch and its
 * checkpoint record are always sent inside one locked section, so they are committed or aborted together.
 * Each commit or abort ends a generation; a writer remembers the generation its rows went into and learns at
 * its flush whether that generation was committed (by itself or by another writer) or aborted.
 * <p>Without transactions the producer is idempotent and a flush waits for every record sent so far.
 */
final class Txn implements AutoCloseable {

    private final Producer<byte[], byte[]> producer;
    private final boolean transactional;
    private final String description;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<Long> aborted = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Exception> sendError = new AtomicReference<>();
    private final Callback callback = (md, e) -> {
        if (e != null) {
            sendError.compareAndSet(null, e);
        }
    };
    private boolean open;
    private long generation = 1;
    private volatile boolean fenced;

    Txn(Producer<byte[], byte[]> producer, boolean transactional, String description) {
        this.producer = producer;
        this.transactional = transactional;
        this.description = description;
    }

    /** Initialises the transactional producer: fences every older producer with the same transactional.id. */
    void init() {
        if (transactional) {
            try {
                producer.initTransactions();
            } catch (KafkaException e) {
                throw new RetriableException(description + ": cannot initialise the transactional producer: " + e.getMessage(), e);
            }
        }
    }

    ReentrantLock lock() {
        return lock;
    }

    boolean transactional() {
        return transactional;
    }

    /**
     * Sends the records in the current transaction (beginning one if none is open) and returns its generation.
     * Callers hold {@link #lock()} when several calls must land in one transaction.
     */
    long send(List<ProducerRecord<byte[], byte[]>> records) {
        return send(records, null);
    }

    /**
     * As {@link #send(List)}, also recording a failed send in {@code errors}, the sender's own holder: without
     * transactions each writer learns of its own failed records at its flush, whoever flushed the producer.
     */
    long send(List<ProducerRecord<byte[], byte[]>> records, AtomicReference<Exception> errors) {
        return send(records, errors, null);
    }

    /**
     * As {@link #send(List)}, adding each record's pending metadata to {@code sent} (its offset, once the transaction
     * is committed).
     */
    long send(List<ProducerRecord<byte[], byte[]>> records, AtomicReference<Exception> errors,
              List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent) {
        Callback cb = errors == null ? callback : (md, e) -> {
            if (e != null) {
                sendError.compareAndSet(null, e);
                errors.compareAndSet(null, e);
            }
        };
        lock.lock();
        try {
            checkFenced();
            try {
                if (transactional && !open) {
                    producer.beginTransaction();
                    open = true;
                }
                for (ProducerRecord<byte[], byte[]> r : records) {
                    var f = producer.send(r, cb);
                    if (sent != null) {
                        sent.add(f);
                    }
                }
            } catch (ProducerFencedException | InvalidProducerEpochException | TransactionalIdAuthorizationException e) {
                fenced = true;
                throw new LeaseException(description + ": another process took over (its producer fenced this one): " + e.getMessage(), e);
            } catch (KafkaException e) {
                abortQuietly();
                throw new DataException(description + ": sending failed, the transaction was aborted: " + e.getMessage(), e);
            }
            return generation;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes the generation {@code gen} durable: commits it when it is still open, returns when another writer
     * committed it already, and throws a {@link DataException} when it was aborted (its records are gone and
     * must be written again).
     */
    void commit(long gen) {
        lock.lock();
        try {
            if (aborted.contains(gen)) {
                throw new DataException(description + ": the transaction holding these rows was aborted ("
                        + "another table's write failed); they are written again");
            }
            if (gen < generation) {
                return;
            }
            checkFenced();
            if (!transactional) {
                // the callers check their own error holders: a failed record is reported to the writer that sent it
                producer.flush();
                sendError.set(null);
                generation++;
                return;
            }
            if (!open) {
                generation++;
                return;
            }
            try {
                producer.commitTransaction();
                open = false;
                generation++;
                sendError.set(null);
            } catch (ProducerFencedException | InvalidProducerEpochException | TransactionalIdAuthorizationException e) {
                fenced = true;
                throw new LeaseException(description + ": another process took over (its producer fenced this one): " + e.getMessage(), e);
            } catch (KafkaException e) {
                Exception cause = sendError.getAndSet(null);
                abortQuietly();
                throw new DataException(description + ": the commit failed and the transaction was aborted: "
                        + (cause != null ? cause.getMessage() : e.getMessage()), e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Commits whatever is open (used by the checkpoint store after its own sends). */
    void commitNow() {
        lock.lock();
        try {
            commit(generation);
        } finally {
            lock.unlock();
        }
    }

    long generation() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    private void abortQuietly() {
        aborted.add(generation);
        generation++;
        if (transactional && open) {
            try {
                producer.abortTransaction();
            } catch (KafkaException ignored) {
                // the producer is unusable; the next send fails and reports it
            }
        }
        open = false;
        sendError.set(null);
    }

    boolean fenced() {
        return fenced;
    }

    private void checkFenced() {
        if (fenced) {
            throw new LeaseException(description + ": another process took over (this producer was fenced)");
        }
    }

    Producer<byte[], byte[]> producer() {
        return producer;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (transactional && open && !fenced) {
                try {
                    producer.abortTransaction();
                } catch (KafkaException ignored) {
                    // closing anyway
                }
            }
            open = false;
        } finally {
            lock.unlock();
        }
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
