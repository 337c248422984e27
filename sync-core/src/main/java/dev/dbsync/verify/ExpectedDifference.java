package dev.dbsync.verify;

import static java.util.Objects.requireNonNull;

/**
 * A key that differs because the sync dead-lettered its source row rather than store something else: the row
 * holds a value the sink declares it cannot store ({@link dev.dbsync.spi.Sink#refuses}), or the source could read
 * it only in part ({@link dev.dbsync.spi.Chunk#failed()}). The target lacks the row (or keeps an older version).
 *
 * @param key    the key, its values in their canonical text joined by {@code ", "}
 * @param column the first column whose value the sink refuses; null when the source could not read the row
 * @param reason the sink's or the source's reason
 */
public record ExpectedDifference(String key, String column, String reason) {

    public ExpectedDifference {
        requireNonNull(key, "key is null");
        requireNonNull(reason, "reason is null");
    }
}
