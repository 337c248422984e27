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
import java.util.Optional;

/**
 * Checkpoints kept in a table of the target database ({@code dbsync_checkpoint} by default), so that
 * positions live beside the data they describe:
 * <pre>
 *   (pipeline text, table_name text, checkpoint text, target_table text, updated_at timestamptz,
 *    PRIMARY KEY (pipeline, table_name))
 * </pre>
 *
 * <p>Same transaction as the data: {@link PostgresSink} calls {@link #writeInTransaction} with the batch's
 * checkpoint, pipeline and source table on the connection that writes the batch, just before commit, so data
 * and checkpoint commit together and a crash between the commit and the engine's own {@link #save} loses
 * nothing and replays nothing.
 *
 * <p>Thread-safe: {@link #load}, {@link #save} and {@link #clear} share one connection under a lock; the
 * in-transaction writes use the writer's connection.
 */
final class PgCheckpointStore implements CheckpointStore {

    private final PgConnectionFactory factory;
    private final PgName table;
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
            try (PreparedStatement ps = c.prepareStatement("SELECT checkpoint FROM " + table.sql()
                    + " WHERE pipeline = ? AND table_name = ?")) {
                ps.setString(1, pipeline);
                ps.setString(2, tableName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
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
        try {
            upsert(connection(), pipeline, tableName, checkpoint.encode());
        } catch (SQLException e) {
            dropConnection();
            throw PgErrors.map(e, "saving the checkpoint of table '" + tableName + "' in " + table);
        }
    }

    @Override
    public synchronized void clear(String pipeline, String tableName) {
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
     * Creates the checkpoint table when missing. The sink calls it when it opens a target, so that
     * {@link #writeInTransaction} needs nothing but the writer's transaction.
     */
    synchronized void ensureTable() throws SQLException {
        try {
            connection();
        } catch (SQLException e) {
            dropConnection();
            throw e;
        }
    }

    /**
     * Writes a batch's checkpoint on the writer's connection, inside its open transaction. The table exists
     * ({@link #ensureTable} ran when the target was opened).
     */
    void writeInTransaction(Connection writer, String pipeline, String tableName, String checkpointText) throws SQLException {
        upsert(writer, pipeline, tableName, checkpointText);
    }

    private void upsert(Connection c, String pipeline, String tableName, String text) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table.sql()
                + " (pipeline, table_name, checkpoint, updated_at) VALUES (?, ?, ?, now())"
                + " ON CONFLICT (pipeline, table_name) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()")) {
            ps.setString(1, pipeline);
            ps.setString(2, tableName);
            ps.setString(3, text);
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
                        + " checkpoint text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),"
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
