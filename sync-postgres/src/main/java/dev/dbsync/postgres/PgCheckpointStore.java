package dev.dbsync.postgres;

import dev.dbsync.spi.Checkpoint;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.SyncException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checkpoints kept in a table of the target database ({@code dbsync_checkpoint} by default), so that
 * positions live beside the data they describe:
 * <pre>
 *   (pipeline text, table_name text, checkpoint text, target_table text, updated_at timestamptz,
 *    PRIMARY KEY (pipeline, table_name))
 * </pre>
 *
 * <p>Same transaction as the data: the sink's {@link PostgresSink} calls {@link #writeInTransaction} with the
 * batch's checkpoint on the connection that writes the batch, just before commit, so data and checkpoint
 * commit together and a crash between the commit and the engine's own {@link #save} loses nothing and
 * replays nothing. A {@code Batch} carries the target table name but not the pipeline and source table the
 * checkpoint is saved under, so the store learns that association: from the {@code target_table} column
 * when a checkpoint is loaded, and by matching the checkpoint text when the engine saves what a batch
 * carried. Until it is known (the first batch of a table's first run), only the engine's {@link #save}
 * writes the row, as with any other store.
 *
 * <p>Thread-safe: {@link #load}, {@link #save} and {@link #clear} share one connection under a lock; the
 * in-transaction writes use the writer's connection.
 */
final class PgCheckpointStore implements CheckpointStore {

    private record Key(String pipeline, String table) {
    }

    private final PgConnectionFactory factory;
    private final PgName table;
    private final Map<String, Key> byTarget = new ConcurrentHashMap<>();
    /** Checkpoint text written by a batch → its target table, until the engine saves that checkpoint. */
    private final Map<String, String> pending = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > 1024;
        }
    };
    private Connection conn;
    private boolean created;

    PgCheckpointStore(PgConnectionFactory factory, PgName table) {
        this.factory = factory;
        this.table = table;
    }

    @Override
    public synchronized Optional<Checkpoint> load(String pipeline, String tableName) {
        try {
            Connection c = connection();
            try (PreparedStatement ps = c.prepareStatement("SELECT checkpoint, target_table FROM " + table.sql()
                    + " WHERE pipeline = ? AND table_name = ?")) {
                ps.setString(1, pipeline);
                ps.setString(2, tableName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    String target = rs.getString(2);
                    if (target != null) {
                        byTarget.put(target, new Key(pipeline, tableName));
                    }
                    String text = rs.getString(1);
                    try {
                        return Optional.of(Checkpoint.decode(text));
                    } catch (IllegalArgumentException e) {
                        throw new SyncException(ErrorType.EXTERNAL, "checkpoint of pipeline '" + pipeline + "', table '"
                                + tableName + "' in " + table + " is unreadable: " + e.getMessage(), e);
                    }
                }
            }
        } catch (SQLException e) {
            dropConnection();
            throw PgErrors.map(e, "loading the checkpoint of table '" + tableName + "' from " + table);
        }
    }

    @Override
    public synchronized void save(String pipeline, String tableName, Checkpoint checkpoint) {
        String text = checkpoint.encode();
        String target;
        synchronized (pending) {
            target = pending.remove(text);
        }
        if (target != null) {
            byTarget.put(target, new Key(pipeline, tableName));
        }
        try {
            Connection c = connection();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table.sql()
                    + " AS t (pipeline, table_name, checkpoint, target_table, updated_at) VALUES (?, ?, ?, ?, now())"
                    + " ON CONFLICT (pipeline, table_name) DO UPDATE SET checkpoint = EXCLUDED.checkpoint,"
                    + " target_table = coalesce(EXCLUDED.target_table, t.target_table), updated_at = now()")) {
                ps.setString(1, pipeline);
                ps.setString(2, tableName);
                ps.setString(3, text);
                ps.setString(4, target);
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            dropConnection();
            throw PgErrors.map(e, "saving the checkpoint of table '" + tableName + "' in " + table);
        }
    }

    @Override
    public synchronized void clear(String pipeline, String tableName) {
        byTarget.values().removeIf(k -> k.equals(new Key(pipeline, tableName)));
        try {
            Connection c = connection();
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table.sql() + " WHERE pipeline = ? AND table_name = ?")) {
                ps.setString(1, pipeline);
                ps.setString(2, tableName);
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            dropConnection();
            throw PgErrors.map(e, "clearing the checkpoint of table '" + tableName + "' in " + table);
        }
    }

    /**
     * Writes a batch's checkpoint on the writer's connection, inside its open transaction. Does nothing
     * for the database until the pipeline and source table of {@code target} are known (see the class
     * comment); always remembers the text so the engine's following save can teach the association.
     */
    void writeInTransaction(Connection writer, String target, String checkpointText) throws SQLException {
        synchronized (pending) {
            pending.put(checkpointText, target);
        }
        Key key = byTarget.get(target);
        if (key == null) {
            return;
        }
        try (PreparedStatement ps = writer.prepareStatement("UPDATE " + table.sql()
                + " SET checkpoint = ?, updated_at = now() WHERE pipeline = ? AND table_name = ?")) {
            ps.setString(1, checkpointText);
            ps.setString(2, key.pipeline());
            ps.setString(3, key.table());
            ps.executeUpdate();
        }
    }

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) {
            conn = factory.open();
            PgConnections.prepare(conn);
        }
        if (!created) {
            PgConnections.ensureSchema(conn, table.schema());
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS " + table.sql() + " (pipeline text NOT NULL, table_name text NOT NULL,"
                        + " checkpoint text NOT NULL, target_table text, updated_at timestamptz NOT NULL DEFAULT now(),"
                        + " PRIMARY KEY (pipeline, table_name))");
            }
            created = true;
        }
        return conn;
    }

    private void dropConnection() {
        if (conn != null) {
            PgConnections.closeQuietly(conn);
            conn = null;
        }
    }

    @Override
    public synchronized void close() {
        dropConnection();
    }

    @Override
    public String toString() {
        return "PgCheckpointStore[" + factory.url() + ", " + table + "]";
    }
}
