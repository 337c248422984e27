package dev.dbsync.neo4j;

import dev.dbsync.config.Config;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import java.util.concurrent.TimeUnit;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Logging;
import org.neo4j.driver.Session;
import org.neo4j.driver.SessionConfig;
import org.neo4j.driver.exceptions.AuthenticationException;
import org.neo4j.driver.exceptions.ClientException;
import org.neo4j.driver.exceptions.Neo4jException;
import org.neo4j.driver.exceptions.RetryableException;

/** One driver and the database to use; thread-safe (the driver pools connections). */
final class Neo4jConnection implements AutoCloseable {

    private final Driver driver;
    private final String database;
    private final String url;

    Neo4jConnection(Driver driver, String database, String url) {
        this.driver = driver;
        this.database = database;
        this.url = url;
    }

    /** Connects with the connection settings of {@code config} and checks that the server answers. */
    static Neo4jConnection open(Config config) {
        String url = config.getString(Neo4jSettings.URL);
        String password = config.getString(Neo4jSettings.PASSWORD);
        org.neo4j.driver.Config driverConfig = org.neo4j.driver.Config.builder()
                .withLogging(Logging.slf4j())
                .withUserAgent("dbsync")
                .withConnectionTimeout(15, TimeUnit.SECONDS)
                .build();
        Driver driver = GraphDatabase.driver(url, password == null ? AuthTokens.none()
                : AuthTokens.basic(config.getString(Neo4jSettings.USER), password), driverConfig);
        try {
            driver.verifyConnectivity();
        } catch (AuthenticationException e) {
            driver.close();
            // the driver's message never holds the password; still, say only which settings to look at
            throw new SyncException(ErrorType.CONFIG, "Neo4j at " + url + " refused the credentials of setting '"
                    + Neo4jSettings.USER + "' / '" + Neo4jSettings.PASSWORD + "'", e);
        } catch (RuntimeException e) {
            driver.close();
            throw new SyncException(ErrorType.EXTERNAL, "cannot reach Neo4j at setting '" + Neo4jSettings.URL + "' = "
                    + url + ": " + e.getMessage(), e);
        }
        return new Neo4jConnection(driver, config.getString(Neo4jSettings.DATABASE), url);
    }

    Session session() {
        return database == null ? driver.session() : driver.session(SessionConfig.forDatabase(database));
    }

    String url() {
        return url;
    }

    /**
     * The dbsync exception for a driver failure while doing {@code what}: transient failures (deadlock, leader
     * switch, lost connection) are retriable, values or constraints the server refuses are data errors.
     */
    static SyncException map(String what, RuntimeException e) {
        if (e instanceof SyncException) {
            return (SyncException) e;
        }
        if (e instanceof RetryableException) {
            return new RetriableException(what + ": " + e.getMessage(), e);
        }
        if (e instanceof ClientException) {
            String code = ((Neo4jException) e).code();
            if (code != null && (code.startsWith("Neo.ClientError.Schema.ConstraintValidationFailed")
                    || code.startsWith("Neo.ClientError.Statement.TypeError")
                    || code.startsWith("Neo.ClientError.Statement.ArgumentError")
                    || code.startsWith("Neo.ClientError.Statement.ArithmeticError"))) {
                return new DataException(what + ": " + e.getMessage(), e);
            }
        }
        return new SyncException(ErrorType.EXTERNAL, what + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        driver.close();
    }
}
