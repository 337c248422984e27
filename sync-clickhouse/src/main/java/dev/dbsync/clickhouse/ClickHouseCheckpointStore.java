package dev.dbsync.clickhouse;

import dev.dbsync.spi.Checkpoint;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Keeps checkpoints in a ClickHouse table beside the data:
 * <pre>
 * CREATE TABLE sync_control (pipeline String, table String, position String, synced_at DateTime64(3))
 * ENGINE = ReplacingMergeTree(synced_at) ORDER BY (pipeline, table)
 * </pre>
 * A save is one INSERT (atomic in ClickHouse); a load reads the newest row with {@code FINAL}. Clearing
 * inserts a row with an empty position. Each save's {@code synced_at} is strictly greater than every
 * {@code synced_at} stored for its (pipeline, table): the first save of a key in a store instance reads the
 * stored maximum, later ones continue from the last value this instance wrote (one millisecond past it
 * when the clock has not moved or lags behind). So the latest save always has the highest version, also after
 * a restart on a machine whose clock is behind the one that saved before, and a clear is never ignored.
 * Two store instances saving the same key at once are not ordered; the engine never does that.
 *
 * <p>Thread-safe.
 */
final class ClickHouseCheckpointStore implements CheckpointStore {

    private final ChConnection conn;
    /** The last synced_at (epoch milliseconds) written or found per (pipeline, table). */
    private final Map<List<String>, Long> lastMillis = new HashMap<>();
    private final LongSupplier clock;
    private final String table;
    private final boolean ownsConnection;
    private volatile boolean created;

    ClickHouseCheckpointStore(ChConnection conn, String table, boolean ownsConnection) {
        this(conn, table, ownsConnection, System::currentTimeMillis);
    }

    ClickHouseCheckpointStore(ChConnection conn, String table, boolean ownsConnection, LongSupplier clock) {
        this.clock = clock;
        this.conn = conn;
        this.table = table;
        this.ownsConnection = ownsConnection;
    }

    private String qualified() {
        return Sql.table(conn.settings().database, table);
    }

    private void ensureTable() {
        if (!created) {
            conn.execute("CREATE TABLE IF NOT EXISTS " + qualified() + " (pipeline String, `table` String, position String, "
                    + "synced_at DateTime64(3)) ENGINE = ReplacingMergeTree(synced_at) ORDER BY (pipeline, `table`)",
                    "checkpoint table '" + table + "'");
            created = true;
        }
    }

    /** The next synced_at of a key, above everything stored for it. Caller holds this store's lock. */
    private long nextMillis(String pipeline, String tableName) {
        List<String> key = List.of(pipeline, tableName);
        Long last = lastMillis.get(key);
        if (last == null) {
            String sql = "SELECT toUnixTimestamp64Milli(max(synced_at)), count() FROM " + qualified() + " WHERE pipeline = "
                    + Sql.literal(pipeline) + " AND `table` = " + Sql.literal(tableName);
            last = conn.query(sql, Map.of(), where(pipeline, tableName), in -> {
                ClickHouseSink.skipHeader(in);
                long max = in.le(8);
                long rows = in.le(8);
                return rows == 0 ? Long.MIN_VALUE : max;
            });
        }
        long next = last == Long.MIN_VALUE ? clock.getAsLong() : Math.max(last + 1, clock.getAsLong());
        lastMillis.put(key, next);
        return next;
    }

    @Override
    public Optional<Checkpoint> load(String pipeline, String tableName) {
        ensureTable();
        String sql = "SELECT position FROM " + qualified() + " FINAL WHERE pipeline = " + Sql.literal(pipeline)
                + " AND `table` = " + Sql.literal(tableName);
        String position = conn.query(sql, java.util.Map.of(), where(pipeline, tableName), in -> {
            ClickHouseSink.skipHeader(in);
            String last = null;
            while (in.hasMore()) {
                last = in.string();
            }
            return last;
        });
        if (position == null || position.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Checkpoint.decode(position));
        } catch (IllegalArgumentException e) {
            throw new SyncException(ErrorType.EXTERNAL, where(pipeline, tableName) + ": unreadable checkpoint: " + e.getMessage(), e);
        }
    }

    @Override
    public void save(String pipeline, String tableName, Checkpoint checkpoint) {
        write(pipeline, tableName, checkpoint.encode());
    }

    @Override
    public void clear(String pipeline, String tableName) {
        write(pipeline, tableName, "");
    }

    private synchronized void write(String pipeline, String tableName, String position) {
        ensureTable();
        long millis = nextMillis(pipeline, tableName);
        try {
            conn.execute("INSERT INTO " + qualified() + " (pipeline, `table`, position, synced_at) VALUES ("
                    + Sql.literal(pipeline) + ", " + Sql.literal(tableName) + ", " + Sql.literal(position)
                    + ", fromUnixTimestamp64Milli(" + millis + ", 'UTC'))", where(pipeline, tableName));
        } catch (RuntimeException e) {
            // the insert may have landed or not: read the stored maximum again next time
            lastMillis.remove(List.of(pipeline, tableName));
            throw e;
        }
    }

    private String where(String pipeline, String tableName) {
        return "checkpoint of pipeline '" + pipeline + "', table '" + tableName + "' in '" + table + "'";
    }

    @Override
    public void close() {
        if (ownsConnection) {
            conn.close();
        }
    }
}
