package dev.dbsync.postgres;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Checkpoints kept in a table of the target database ({@code dbsync_checkpoint} by default), so that
 * positions live beside the data they describe:
 * <pre>
 *   (pipeline text, table_name text, checkpoint text, updated_at timestamptz, PRIMARY KEY (pipeline, table_name))
 * </pre>
 * and leases in {@code <table>_lease (pipeline text PRIMARY KEY, holder text, token bigint, acquired_at timestamptz)}.
 *
 * <p>Leases: the holder of a pipeline keeps a session advisory lock on its own connection for as long as it
 * runs; PostgreSQL releases it when that session ends, so a killed holder never blocks the next start. Taking
 * the lock raises the pipeline's token in the lease table; every save, clear and in-transaction write first
 * reads the token {@code FOR SHARE} in its own transaction and refuses to go on under an older one, so a
 * holder that lost its lock (its session was cut) and was replaced can no longer write. Advisory lock keys are
 * hashes of the pipeline name: two pipelines whose names hash alike exclude each other (the error names the
 * holder).
 *
 * <p>Same transaction as the data: {@link PostgresSink} calls {@link #writeInTransaction} with the batch's
 * checkpoint on the connection that writes the batch, just before commit, so data and checkpoint commit
 * together and a crash between the commit and the engine's own {@link #save} loses nothing and replays nothing.
 *
 * <p>Thread-safe: loads, saves and clears share one connection under a lock; each lease has its own
 * connection; the in-transaction writes use the writer's connection.
 */
final class PgCheckpointStore implements CheckpointStore {

    private final PgConnectionFactory factory;
    private final PgName table;
    private final PgName leases;
    private final Map<String, Connection> held = new HashMap<>();
    private Connection conn;
    private boolean created;

    PgCheckpointStore(PgConnectionFactory factory, PgName table) {
        this.factory = factory;
        this.table = table;
        this.leases = new PgName(table.schema(), table.table() + "_lease");
    }

    @Override
    public synchronized Lease acquire(String pipeline, String holder) {
        Connection lc = null;
        try {
            connection();
            lc = factory.open();
            PgConnections.prepare(lc);
            lc.setAutoCommit(true);
            boolean locked;
            try (PreparedStatement ps = lc.prepareStatement("SELECT pg_try_advisory_lock(hashtext('dbsync lease'), hashtext(?))")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    locked = rs.getBoolean(1);
                }
            }
            if (!locked || held.containsKey(pipeline)) {
                String other = holderOf(lc, pipeline);
                PgConnections.closeQuietly(lc);
                throw new LeaseException("pipeline " + pipeline + " is already running, held by " + other
                        + " (lease in " + leases + "); refusing to start it a second time from " + holder);
            }
            long token;
            try (PreparedStatement ps = lc.prepareStatement("INSERT INTO " + leases.sql()
                    + " AS l (pipeline, holder, token, acquired_at) VALUES (?, ?, 1, now())"
                    + " ON CONFLICT (pipeline) DO UPDATE SET holder = EXCLUDED.holder, token = l.token + 1, acquired_at = now()"
                    + " RETURNING token")) {
                ps.setString(1, pipeline);
                ps.setString(2, holder);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    token = rs.getLong(1);
                }
            }
            held.put(pipeline, lc);
            return Lease.of(pipeline, holder, token);
        } catch (SQLException e) {
            PgConnections.closeQuietly(lc);
            dropConnection();
            throw PgErrors.map(e, "taking the lease of pipeline " + pipeline + " in " + leases);
        }
    }

    private String holderOf(Connection c, String pipeline) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT holder, token, acquired_at FROM " + leases.sql() + " WHERE pipeline = ?")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) + " (token " + rs.getLong(2) + ", since " + rs.getTimestamp(3).toInstant() + ")"
                        : "another process (a pipeline whose name hashes alike)";
            }
        }
    }

    @Override
    public synchronized void release(Lease lease) {
        Connection lc = held.remove(lease.pipeline());
        if (lc != null) {
            // ending the session releases the advisory lock
            PgConnections.closeQuietly(lc);
        }
    }

    @Override
    public synchronized Optional<String> load(String pipeline, String tableName) {
        try {
            Connection c = connection();
            try (PreparedStatement ps = c.prepareStatement("SELECT checkpoint FROM " + table.sql()
                    + " WHERE pipeline = ? AND table_name = ?")) {
                ps.setString(1, pipeline);
                ps.setString(2, tableName);
                try (ResultSet rs = ps.executeQuery()) {
                    Optional<String> text = rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                    c.commit();
                    return text;
                }
            }
        } catch (SQLException e) {
            dropConnection();
            throw PgErrors.map(e, "loading the checkpoint of table '" + tableName + "' from " + table);
        }
    }

    @Override
    public synchronized void save(Lease lease, String tableName, String text) {
        try {
            Connection c = connection();
            try {
                checkToken(c, lease);
                upsert(c, lease.pipeline(), tableName, text);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            dropConnection();
            throw PgErrors.map(e, "saving the checkpoint of table '" + tableName + "' in " + table);
        }
    }

    @Override
    public synchronized void clear(Lease lease, String tableName) {
        try {
            Connection c = connection();
            try {
                checkToken(c, lease);
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table.sql() + " WHERE pipeline = ? AND table_name = ?")) {
                    ps.setString(1, lease.pipeline());
                    ps.setString(2, tableName);
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            dropConnection();
            throw PgErrors.map(e, "clearing the checkpoint of table '" + tableName + "' in " + table);
        }
    }

    /** Refuses to go on in this transaction unless {@code lease} is the pipeline's current lease. */
    private void checkToken(Connection c, Lease lease) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT token, holder FROM " + leases.sql() + " WHERE pipeline = ? FOR SHARE")) {
            ps.setString(1, lease.pipeline());
            try (ResultSet rs = ps.executeQuery()) {
                String now = null;
                if (!rs.next()) {
                    now = "nobody";
                } else if (rs.getLong(1) != lease.token()) {
                    now = rs.getString(2) + " (token " + rs.getLong(1) + ")";
                }
                if (now != null) {
                    throw new LeaseException("pipeline " + lease.pipeline() + ": the lease of " + lease.holder() + " (token "
                            + lease.token() + ") is no longer current; it is held by " + now + "; nothing written");
                }
            }
        }
    }

    /**
     * Creates the checkpoint and lease tables when missing. The sink calls it when it opens a target, so that
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
     * Writes a batch's checkpoint on the writer's connection, inside its open transaction, after checking the
     * lease's token there. The tables exist ({@link #ensureTable} ran when the target was opened).
     */
    void writeInTransaction(Connection writer, CheckpointUpdate update) throws SQLException {
        checkToken(writer, update.lease());
        upsert(writer, update.lease().pipeline(), update.key(), update.text());
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
            conn.setAutoCommit(false);
        }
        if (!created) {
            PgConnections.ensureSchema(conn, table.schema());
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS " + table.sql() + " (pipeline text NOT NULL, table_name text NOT NULL,"
                        + " checkpoint text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),"
                        + " PRIMARY KEY (pipeline, table_name))");
                st.execute("CREATE TABLE IF NOT EXISTS " + leases.sql() + " (pipeline text PRIMARY KEY, holder text NOT NULL,"
                        + " token bigint NOT NULL, acquired_at timestamptz NOT NULL DEFAULT now())");
            }
            conn.commit();
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

    /** Closes every connection; leases not released end with their sessions (as if the process had died). */
    @Override
    public synchronized void close() {
        for (Connection lc : held.values()) {
            PgConnections.closeQuietly(lc);
        }
        held.clear();
        dropConnection();
    }

    @Override
    public String toString() {
        return "PgCheckpointStore[" + factory.url() + ", " + table + "]";
    }
}
