package dev.dbsync.postgres;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.PGProperty;

/**
 * Opens JDBC connections to one PostgreSQL database: ordinary ones for catalog queries, snapshot and
 * incremental reads and sink writes, and replication connections for logical decoding.
 *
 * <p>Immutable and thread-safe; every call opens a new physical connection that the caller closes.
 * Failing to connect is a {@link RetriableException} (the server may be restarting), except for
 * authentication and invalid-database errors (SQLState class 28 and 3D), which no retry can fix.
 * Not final so that tests can wrap the connections it opens to inject failures.
 */
class PgConnectionFactory {

    private final String url;
    private final Properties properties;

    /**
     * @param url        a {@code jdbc:postgresql://…} URL
     * @param user       user name, may be null (then the URL or driver default applies)
     * @param password   password, may be null
     * @param extra      further pgjdbc properties, never null (may be empty)
     */
    PgConnectionFactory(String url, String user, String password, Properties extra) {
        this.url = requireNonNull(url, "url is null");
        Properties p = new Properties();
        p.putAll(requireNonNull(extra, "extra is null"));
        if (user != null && !user.isEmpty()) {
            PGProperty.USER.set(p, user);
        }
        if (password != null && !password.isEmpty()) {
            PGProperty.PASSWORD.set(p, password);
        }
        if (PGProperty.APPLICATION_NAME.getOrDefault(p) == null) {
            PGProperty.APPLICATION_NAME.set(p, "dbsync");
        }
        // defaults a URL parameter overrides: a server that does not answer fails in bounded time
        if (!p.containsKey(PGProperty.CONNECT_TIMEOUT.getName())) {
            PGProperty.CONNECT_TIMEOUT.set(p, 10);
        }
        if (!p.containsKey(PGProperty.SOCKET_TIMEOUT.getName())) {
            PGProperty.SOCKET_TIMEOUT.set(p, 300);
        }
        if (!p.containsKey(PGProperty.TCP_KEEP_ALIVE.getName())) {
            PGProperty.TCP_KEEP_ALIVE.set(p, true);
        }
        this.properties = p;
    }

    PgConnectionFactory(String url, String user, String password) {
        this(url, user, password, new Properties());
    }

    /** The JDBC URL for messages: a password given in the URL itself is masked. */
    String url() {
        return masked(url);
    }

    static String masked(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1****");
    }

    /** A new ordinary connection in auto-commit mode. */
    Connection open() {
        return connect(properties);
    }

    /**
     * A new replication connection ({@code replication=database}) for logical decoding through pgjdbc's
     * replication API. Simple query mode is required on such connections.
     */
    Connection openReplication() {
        Properties p = new Properties();
        p.putAll(properties);
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "9.4");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        return connect(p);
    }

    private Connection connect(Properties p) {
        try {
            return DriverManager.getConnection(url, p);
        } catch (SQLException e) {
            String state = e.getSQLState();
            String msg = "cannot connect to PostgreSQL at " + url() + ": " + e.getMessage();
            if (state != null && (state.startsWith("28") || state.startsWith("3D"))) {
                throw new SyncException(ErrorType.EXTERNAL, msg, e);
            }
            throw new RetriableException(msg, e);
        }
    }

    @Override
    public String toString() {
        // never prints the password
        return "PgConnectionFactory[" + url() + ", user=" + PGProperty.USER.getOrDefault(properties) + "]";
    }
}
