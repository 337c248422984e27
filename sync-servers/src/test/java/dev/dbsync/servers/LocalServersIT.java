package dev.dbsync.servers;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each launcher starts a real server that answers, and stops it on close. */
class LocalServersIT {

    @TempDir
    Path logs;

    @Test
    void postgresStartsWithLogicalReplicationAndStopsOnClose() throws Exception {
        String url;
        try (LocalPostgres pg = LocalPostgres.start()) {
            url = pg.jdbcUrl();
            assertTrue(pg.kind().contains(String.valueOf(pg.port())), pg.kind());
            try (Connection c = DriverManager.getConnection(url, pg.username(), null);
                 Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE other");
                try (ResultSet rs = s.executeQuery("SHOW wal_level")) {
                    rs.next();
                    assertEquals("logical", rs.getString(1));
                }
                try (ResultSet rs = s.executeQuery("SHOW server_version_num")) {
                    rs.next();
                    assertTrue(rs.getInt(1) >= 170000, "PostgreSQL 17, got " + rs.getInt(1));
                }
            }
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("other"), pg.username(), null);
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_database()")) {
                rs.next();
                assertEquals("other", rs.getString(1));
            }
        }
        String stopped = url;
        assertThrows(SQLException.class, () -> DriverManager.getConnection(stopped, LocalPostgres.USER, null).close());
    }

    @Test
    void clickhouseEngineAnswersOverHttpAndStopsOnClose() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String url;
        try (LocalClickHouse ch = LocalClickHouse.start(logs)) {
            url = ch.httpUrl();
            assertEquals("Ok.\n", http.send(HttpRequest.newBuilder(URI.create(url + "/ping")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            String sum = post(http, url, "SELECT sum(number) FROM numbers(1000)");
            assertEquals("499500", sum.trim());
            post(http, url, "CREATE TABLE t (id UInt64, s String) ENGINE = MergeTree ORDER BY id");
            post(http, url, "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
            assertEquals("2\tb", post(http, url, "SELECT * FROM t ORDER BY id DESC LIMIT 1").trim());
            assertTrue(post(http, url, "SELECT timezone()").trim().equals("UTC"));
            assertTrue(ch.kind().contains(LocalClickHouse.CHDB_VERSION), ch.kind());
            assertTrue(ch.log().startsWith(logs.toAbsolutePath()), ch.log().toString());
        }
        String stopped = url;
        assertThrows(ConnectException.class, () -> http.send(HttpRequest.newBuilder(URI.create(stopped + "/ping")).build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    private static String post(HttpClient http, String url, String sql) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/"))
                .POST(HttpRequest.BodyPublishers.ofString(sql, UTF_8)).build(), HttpResponse.BodyHandlers.ofString(UTF_8));
        assertEquals(200, r.statusCode(), sql + ": " + r.body());
        return r.body();
    }
}
