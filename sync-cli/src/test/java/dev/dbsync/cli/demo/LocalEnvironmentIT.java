package dev.dbsync.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.Connectors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * What the jar's {@code demo} does without URLs, on a machine with only a JDK: it starts PostgreSQL itself with
 * sync-servers (not through the test kit) and creates fresh source and target databases on it.
 */
class LocalEnvironmentIT {

    @Test
    void startsEmbeddedPostgresAndCreatesFreshDatabases() throws Exception {
        StringWriter log = new StringWriter();
        Environment env = Environment.resolve(Environment.Options.local().withoutClickhouse(), "local_it",
                Connectors.load(), new PrintWriter(log, true));
        assertTrue(log.toString().contains("embedded PostgreSQL (zonky) on port"), log.toString());
        assertEquals("PostgreSQL", env.targets().get(0).name());
        assertTrue(env.skipped().stream().anyMatch(s -> s.startsWith("ClickHouse: skipped")), env.skipped().toString());
        try (Connection c = Environment.connect(env.sourceUrl(), env.user(), env.password());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_database(), current_setting('wal_level'), "
                     + "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public')")) {
            rs.next();
            assertEquals("dbsync_local_it_source", rs.getString(1));
            assertEquals("logical", rs.getString(2));
            assertEquals(0, rs.getInt(3), "a fresh, empty database");
        }
        Target pg = env.targets().get(0);
        try (Connection c = Environment.connect(pg.queryUrl(), env.user(), env.password());
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_database()")) {
            rs.next();
            assertEquals("dbsync_local_it_target", rs.getString(1));
        }
    }
}
