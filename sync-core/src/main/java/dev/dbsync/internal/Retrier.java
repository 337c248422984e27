package dev.dbsync.internal;

import dev.dbsync.engine.RetryPolicy;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs an operation, retrying {@link RetriableException}s by a {@link RetryPolicy}; counts the retries. */
public final class Retrier {

    private static final Logger LOG = LoggerFactory.getLogger(Retrier.class);

    private final RetryPolicy policy;
    private final String context;
    private final AtomicLong retries = new AtomicLong();

    public Retrier(RetryPolicy policy, String context) {
        this.policy = policy;
        this.context = context;
    }

    public long retries() {
        return retries.get();
    }

    public void run(String what, Runnable op) {
        call(what, () -> {
            op.run();
            return null;
        });
    }

    public <T> T call(String what, Supplier<T> op) {
        for (int attempt = 1; ; attempt++) {
            try {
                return op.get();
            } catch (RetriableException e) {
                if (attempt >= policy.maxAttempts()) {
                    throw new SyncException(ErrorType.EXTERNAL, context + ": " + what + " failed after " + attempt
                            + " attempts: " + e.getMessage(), e);
                }
                long wait = policy.backoff(attempt).toMillis();
                retries.incrementAndGet();
                LOG.warn("{}: {} failed (attempt {} of {}), retrying in {} ms: {}", context, what, attempt,
                        policy.maxAttempts(), wait, e.getMessage());
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new SyncException(ErrorType.INTERNAL, context + ": interrupted while retrying " + what, e);
                }
            }
        }
    }
}
