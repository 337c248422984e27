package dev.dbsync.crate;

import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Opens pgjdbc connections to CrateDB. */
final class CrateConnections {

    private CrateConnections() {
    }

    static CrateSink.Connector connector(CrateSettings settings) {
        String url = settings.jdbcUrl();
        Properties props = settings.connectionProperties();
        return () -> DriverManager.getConnection(url, props);
    }

    /** Connects once so a wrong URL or password fails at creation, naming the setting. */
    static void check(CrateSink.Connector connector, CrateSettings settings) {
        try (Connection c = connector.connect()) {
            c.isValid(5);
        } catch (SQLException e) {
            String msg = "cannot connect to CrateDB at setting 'url' = " + settings.jdbcUrl() + " as user '"
                    + settings.user() + "': " + e.getMessage();
            if (e.getSQLState() != null && e.getSQLState().startsWith("28")) {
                throw new SyncException(ErrorType.CONFIG, msg + " (check settings 'user' and 'password')", e);
            }
            throw e.getSQLState() != null && e.getSQLState().startsWith("08")
                    ? new RetriableException(msg, e) : new SyncException(ErrorType.EXTERNAL, msg, e);
        }
    }
}
