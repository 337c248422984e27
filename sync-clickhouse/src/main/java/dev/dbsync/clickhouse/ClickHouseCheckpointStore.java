package dev.dbsync.clickhouse;

import dev.dbsync.spi.Checkpoint;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps checkpoints in a ClickHouse table beside the data:
 * <pre>
 * CREATE TABLE sync_control (pipeline String, table String, position String, synced_at DateTime64(3))
 * ENGINE = ReplacingMergeTree(synced_at) ORDER BY (pipeline, table)
 * </pre>
 * A save is one INSERT (atomic in ClickHouse); a load reads the newest row with {@code FINAL}. Clearing
 * inserts a row with an empty position. {@code synced_at} is strictly increasing within a process (one
 * millisecond past the previous save when the clock has not moved), so the latest save always has the
 * highest version.
 *
 * <p>Thread-safe.
 */
final class ClickHouseCheckpointStore implements CheckpointStore {

    private static final AtomicLong LAST_MILLIS = new AtomicLong();

    private final ChConnection conn;
    private final String table;
    private final boolean ownsConnection;
    private volatile boolean created;

    ClickHouseCheckpointStore(ChConnection conn, String table, boolean ownsConnection) {
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

    private static long nextMillis() {
        return LAST_MILLIS.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis()));
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

    private void write(String pipeline, String tableName, String position) {
        ensureTable();
        conn.execute("INSERT INTO " + qualified() + " (pipeline, `table`, position, synced_at) VALUES ("
                + Sql.literal(pipeline) + ", " + Sql.literal(tableName) + ", " + Sql.literal(position)
                + ", fromUnixTimestamp64Milli(" + nextMillis() + ", 'UTC'))", where(pipeline, tableName));
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
