package dev.dbsync.postgres;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.PostgresServer;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A fresh database on the test kit's PostgreSQL, with plain-JDBC helpers independent of the connector. */
final class PgTestDb {

    final String url;

    private PgTestDb(String url) {
        this.url = url;
    }

    static PgTestDb create(String prefix) {
        return new PgTestDb(PostgresServer.get().createDatabase(prefix));
    }

    PgConnectionFactory factory() {
        PostgresServer s = PostgresServer.get();
        return new PgConnectionFactory(url, s.username(), s.password());
    }

    Connection connect() throws SQLException {
        return PostgresServer.get().connect(url);
    }

    void exec(String... sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage() + " in " + Arrays.toString(sql), e);
        }
    }

    long count(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every row of the table as column → value in the documented Java types, ordered by the key. */
    List<Map<String, Object>> rows(TableSchema s, String qualifiedSql) {
        StringBuilder order = new StringBuilder();
        for (String k : s.primaryKey()) {
            order.append(order.length() == 0 ? "" : ", ").append(PgName.quote(k));
        }
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM " + qualifiedSql + " ORDER BY " + order)) {
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (Column col : s.columns()) {
                    row.put(col.name(), value(rs, col));
                }
                out.add(row);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static Object value(ResultSet rs, Column col) throws SQLException {
        String n = col.name();
        if (rs.getObject(n) == null) {
            return null;
        }
        switch (col.type()) {
            case INT32: return rs.getInt(n);
            case INT64: return rs.getLong(n);
            case DECIMAL: return rs.getBigDecimal(n);
            case FLOAT64: return rs.getDouble(n);
            case BOOLEAN: return rs.getBoolean(n);
            case BYTES: return rs.getBytes(n);
            case UUID: return rs.getObject(n, UUID.class);
            case DATE: return rs.getObject(n, LocalDate.class);
            case TIMESTAMP: return rs.getObject(n, LocalDateTime.class);
            case TIME: return rs.getObject(n, java.time.LocalTime.class);
            case TIMESTAMP_TZ: return rs.getObject(n, OffsetDateTime.class).toInstant();
            case JSON:
                try {
                    return PgTypes.JSON.readValue(rs.getString(n), Object.class);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            case ARRAY:
                Array a = rs.getArray(n);
                List<Object> list = new ArrayList<>();
                for (Object o : (Object[]) a.getArray()) {
                    list.add(o instanceof BigDecimal || o == null || col.elementType() != LogicalType.STRING ? o : o.toString());
                }
                return list;
            default:
                return rs.getString(n);
        }
    }

    /** CREATE TABLE from a logical schema with the sink's type mapping. */
    void createTable(PgName name, TableSchema s) {
        StringBuilder ddl = new StringBuilder("CREATE TABLE ").append(name.sql()).append(" (");
        for (Column c : s.columns()) {
            ddl.append(PgName.quote(c.name())).append(' ').append(PgTypes.ddlType(c)).append(", ");
        }
        StringBuilder pk = new StringBuilder();
        for (String k : s.primaryKey()) {
            pk.append(pk.length() == 0 ? "" : ", ").append(PgName.quote(k));
        }
        ddl.append("PRIMARY KEY (").append(pk).append("))");
        exec(ddl.toString());
    }
}
