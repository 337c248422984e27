package dev.dbsync.engine;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded exponential backoff with jitter for {@link dev.dbsync.spi.RetriableException}s.
 *
 * @param maxAttempts    attempts in all, including the first; 1 = no retry
 * @param initialBackoff the wait before the first retry
 * @param maxBackoff     the longest wait
 * @param jitter         fraction of each wait that is random, in [0, 1]
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double jitter) {

    public RetryPolicy {
        requireNonNull(initialBackoff, "initialBackoff is null");
        requireNonNull(maxBackoff, "maxBackoff is null");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("jitter must be in [0, 1], got " + jitter);
        }
    }

    /** 6 attempts, 200 ms doubling up to 30 s, 20 % jitter. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(6, Duration.ofMillis(200), Duration.ofSeconds(30), 0.2);
    }

    /** No retries. */
    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 0);
    }

    /** The wait before retry number {@code retry} (1-based). */
    public Duration backoff(int retry) {
        long base = initialBackoff.toMillis() << Math.min(retry - 1, 30);
        long capped = Math.min(Math.max(base, 0), maxBackoff.toMillis());
        long random = (long) (capped * jitter * ThreadLocalRandom.current().nextDouble());
        return Duration.ofMillis(capped - random);
    }
}
