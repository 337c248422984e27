package dev.dbsync.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A tiny pool of idle ordinary connections for the source: each read borrows one and gives it back, so
 * tables read from different threads never share a connection, and a broken connection is dropped
 * instead of being reused. Thread-safe.
 */
final class PgConnections implements AutoCloseable {

    private final PgConnectionFactory factory;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    PgConnections(PgConnectionFactory factory) {
        this.factory = factory;
    }

    PgConnectionFactory factory() {
        return factory;
    }

    /** A borrowed connection; closing the lease returns it (or drops it when {@link #broken()} was called). */
    final class Lease implements AutoCloseable {
        final Connection connection;
        private boolean broken;

        private Lease(Connection connection) {
            this.connection = connection;
        }

        /** Marks the connection unusable (after an error that may have left it in an unknown state). */
        void broken() {
            broken = true;
        }

        @Override
        public void close() {
            if (broken || closed) {
                closeQuietly(connection);
            } else {
                idle.push(connection);
                if (closed) {
                    // close() ran concurrently; do not leak
                    drain();
                }
            }
        }
    }

    Lease borrow() throws SQLException {
        Connection c = idle.poll();
        if (c == null) {
            c = factory.open();
            prepare(c);
        }
        return new Lease(c);
    }

    /** Session settings every connection of this module relies on. */
    static void prepare(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            // literals are escaped by doubling quotes only (PgName.literal); JIT only slows down short chunk queries
            st.execute("SET standard_conforming_strings = on; SET jit = off");
        }
    }

    /**
     * Creates the schema unless it exists; checking first, because {@code CREATE SCHEMA IF NOT EXISTS}
     * needs the CREATE privilege on the database even when the schema is already there.
     */
    static void ensureSchema(Connection c, String schema) throws SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, schema);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + PgName.quote(schema));
        }
    }

    private void drain() {
        Connection c;
        while ((c = idle.poll()) != null) {
            closeQuietly(c);
        }
    }

    static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // closing a broken connection; nothing left to release
        }
    }

    @Override
    public void close() {
        closed = true;
        drain();
    }
}
