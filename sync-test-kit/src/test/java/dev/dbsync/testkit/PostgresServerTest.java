package dev.dbsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgresServerTest {

    private static PostgresServer server;

    @BeforeAll
    static void start() {
        server = PostgresServer.get();
        System.out.println("PostgreSQL for tests: " + server);
    }

    @Test
    void isSharedPerJvm() {
        assertSame(server, PostgresServer.get());
    }

    @Test
    void isARealServerWithLogicalReplication() throws SQLException {
        try (Connection c = server.connect()) {
            assertEquals("logical", scalar(c, "SHOW wal_level"));
            String version = scalar(c, "SELECT version()");
            assertTrue(version.startsWith("PostgreSQL "), version);
            if (server.kind().startsWith("embedded")) {
                assertTrue(version.contains("PostgreSQL 17"), version);
            }
            assertEquals("t", scalar(c, "SELECT (rolreplication OR rolsuper)::text::char FROM pg_roles WHERE rolname = current_user"));
        }
    }

    @Test
    void createdDatabasesAreIsolated() throws SQLException {
        String first = server.createDatabase("isolation-Test");
        String second = server.createDatabase("isolation-Test");
        assertNotEquals(first, second);
        try (Connection a = server.connect(first); Statement s = a.createStatement()) {
            s.execute("CREATE TABLE t (id int primary key)");
            s.execute("INSERT INTO t VALUES (1), (2)");
            assertEquals("2", scalar(a, "SELECT count(*) FROM t"));
            assertTrue(scalar(a, "SELECT current_database()").startsWith("isolation_test_"));
        }
        try (Connection b = server.connect(second)) {
            assertEquals("0", scalar(b, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"));
        }
        try (Connection d = server.connect()) {
            assertFalse(scalar(d, "SELECT current_database()").startsWith("isolation_test_"));
        }
    }

    @Test
    void replacesTheDatabaseOfAUrl() {
        assertEquals("jdbc:postgresql://h:5432/other?user=u&x=1",
                PostgresServer.replaceDatabase("jdbc:postgresql://h:5432/main?user=u&x=1", "other"));
        assertEquals("jdbc:postgresql://h1,h2:5433/other",
                PostgresServer.replaceDatabase("jdbc:postgresql://h1,h2:5433/main", "other"));
        assertEquals("jdbc:postgresql://h/other", PostgresServer.replaceDatabase("jdbc:postgresql://h", "other"));
        assertEquals("jdbc:postgresql://h/other", PostgresServer.replaceDatabase("jdbc:postgresql://h/", "other"));
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }
}
