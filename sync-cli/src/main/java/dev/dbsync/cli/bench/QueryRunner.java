package dev.dbsync.cli.bench;

import dev.dbsync.cli.demo.ClickHouseHttp;
import dev.dbsync.cli.demo.Target;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Runs a query against one database and reads the whole answer, returning the first row as text and the number
 * of rows (so answers can be compared across databases). JDBC for PostgreSQL and CrateDB, HTTP for ClickHouse.
 */
interface QueryRunner extends AutoCloseable {

    /** The answer: rows returned and the first row. */
    record Answer(int rows, String firstRow) {
    }

    Answer run(String sql) throws Exception;

    @Override
    void close() throws Exception;

    static QueryRunner open(Target t, String database) throws SQLException {
        if (t.type().equals("clickhouse")) {
            ClickHouseHttp http = new ClickHouseHttp(t.queryUrl(), t.user(), t.password(), database);
            return new QueryRunner() {
                @Override
                public Answer run(String sql) {
                    String body = http.execute(sql);
                    String[] lines = body.isEmpty() ? new String[0] : body.split("\n");
                    return new Answer(lines.length, lines.length == 0 ? "" : lines[0].replace('\t', ' '));
                }

                @Override
                public void close() {
                }
            };
        }
        Connection c = DriverManager.getConnection(t.queryUrl(), BenchSetup.props(t));
        return new QueryRunner() {
            @Override
            public Answer run(String sql) throws SQLException {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                    ResultSetMetaData md = rs.getMetaData();
                    int rows = 0;
                    StringBuilder first = new StringBuilder();
                    while (rs.next()) {
                        if (rows++ == 0) {
                            for (int i = 1; i <= md.getColumnCount(); i++) {
                                first.append(i > 1 ? " " : "").append(rs.getString(i));
                            }
                        } else {
                            for (int i = 1; i <= md.getColumnCount(); i++) {
                                rs.getString(i);
                            }
                        }
                    }
                    return new Answer(rows, first.toString());
                }
            }

            @Override
            public void close() throws SQLException {
                c.close();
            }
        };
    }
}
