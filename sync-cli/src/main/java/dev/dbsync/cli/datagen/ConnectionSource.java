package dev.dbsync.cli.datagen;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;
import javax.sql.DataSource;

/** Opens connections to the target PostgreSQL database; each call returns a new connection the caller closes. */
@FunctionalInterface
public interface ConnectionSource {

    Connection open() throws SQLException;

    static ConnectionSource of(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource is null");
        return dataSource::getConnection;
    }

    /**
     * @param jdbcUrl  a {@code jdbc:postgresql:} URL
     * @param user     may be null when the URL carries it
     * @param password may be null
     */
    static ConnectionSource of(String jdbcUrl, String user, String password) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl is null");
        Properties properties = new Properties();
        if (user != null) {
            properties.setProperty("user", user);
        }
        if (password != null) {
            properties.setProperty("password", password);
        }
        return () -> DriverManager.getConnection(jdbcUrl, properties);
    }
}
