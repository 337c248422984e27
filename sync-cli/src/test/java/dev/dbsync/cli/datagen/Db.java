package dev.dbsync.cli.datagen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** A fresh database on the test kit's PostgreSQL and small query helpers. */
final class Db {

    final PostgresServer server = PostgresServer.get();
    final String url;

    Db(String prefix) {
        url = server.createDatabase(prefix);
    }

    ConnectionSource source() {
        return ConnectionSource.of(url, server.username(), server.password());
    }

    String string(String sql) throws SQLException {
        try (Connection c = server.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }

    long number(String sql) throws SQLException {
        return Long.parseLong(string(sql));
    }

    List<Long> ids(String sql) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Connection c = server.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    /** All rows of the first column, one per line (e.g. an EXPLAIN). */
    String text(String sql) throws SQLException {
        StringBuilder text = new StringBuilder();
        try (Connection c = server.connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                text.append(rs.getString(1)).append('\n');
            }
        }
        return text.toString();
    }

    String checksum(String table) throws SQLException {
        return string("SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY id)) FROM " + table + " t");
    }
}
