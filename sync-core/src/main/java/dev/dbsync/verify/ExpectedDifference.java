package dev.dbsync.verify;

import static java.util.Objects.requireNonNull;

/**
 * A key that differs because the source row holds a value the sink declares it cannot store
 * ({@link dev.dbsync.spi.Sink#refuses}); the sync dead-letters such a row instead of storing something else,
 * so the target lacks it (or keeps an older version of it).
 *
 * @param key    the key, its values in their canonical text joined by {@code ", "}
 * @param column the first column whose value the sink refuses
 * @param reason the sink's reason
 */
public record ExpectedDifference(String key, String column, String reason) {

    public ExpectedDifference {
        requireNonNull(key, "key is null");
        requireNonNull(column, "column is null");
        requireNonNull(reason, "reason is null");
    }
}
