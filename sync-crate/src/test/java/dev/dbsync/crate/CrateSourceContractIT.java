package dev.dbsync.crate;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SourceContractTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/** The source contract suite against a real CrateDB; tables are created with the sink's own DDL. */
class CrateSourceContractIT extends SourceContractTest {

    private final CrateServer server = CrateServer.get();
    private final CrateSettings settings = CrateSettings.sink(Map.of("url", server.jdbcUrl(), "replicas", "0"));

    @Override
    protected Source newSource() {
        CrateSourceFactory f = new CrateSourceFactory();
        return f.create(f.configDef().parse(server.config()));
    }

    /**
     * CrateDB has no transactions; its rows become visible late in its own way: acknowledged by a bulk request
     * but searchable only after a refresh. The late writer here writes its rows into a table whose periodic
     * refresh is switched off, without refreshing, so no plain query sees them until {@link LateWrite#commit()}
     * refreshes. The source's safe bound covers this by refreshing before it reads (and by waiting for write
     * statements still running, see CrateSource).
     */
    @Override
    protected LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows) {
        CrateTable t = CrateTable.parse(table, "doc");
        execute("ALTER TABLE " + CrateSql.qualified(t) + " SET (refresh_interval = 0)");
        try (Connection c = server.connect(); PreparedStatement ps = c.prepareStatement(CrateSql.upsert(t, schema))) {
            for (List<Object> row : rows) {
                for (int i = 0; i < schema.columns().size(); i++) {
                    CrateValues.bind(ps, i + 1, schema.columns().get(i), row.get(i), settings, c);
                }
                ps.addBatch();
            }
            ps.executeBatch();
        } catch (SQLException | CrateValues.BadValueException e) {
            throw new IllegalStateException("late write into " + t + ": " + e.getMessage(), e);
        }
        return () -> execute(CrateSql.refresh(t));
    }

    @Override
    protected String createTable(String baseName, TableSchema schema) {
        CrateTable t = new CrateTable("doc", baseName);
        execute(CrateSql.createTable(t, schema, settings));
        return t.toString();
    }

    @Override
    protected void upsertRows(String table, TableSchema schema, List<List<Object>> rows) {
        CrateTable t = CrateTable.parse(table, "doc");
        try (Connection c = server.connect(); PreparedStatement ps = c.prepareStatement(CrateSql.upsert(t, schema))) {
            for (List<Object> row : rows) {
                for (int i = 0; i < schema.columns().size(); i++) {
                    Column col = schema.columns().get(i);
                    CrateValues.bind(ps, i + 1, col, row.get(i), settings, c);
                }
                // one statement per row: a single-row failure raises, unlike a bulk request
                ps.executeUpdate();
            }
            try (Statement st = c.createStatement()) {
                st.execute(CrateSql.refresh(t));
            }
        } catch (SQLException | CrateValues.BadValueException e) {
            throw new IllegalStateException("upserting into " + t + ": " + e.getMessage(), e);
        }
    }

    @Override
    protected void deleteRows(String table, TableSchema schema, List<List<Object>> keys) {
        CrateTable t = CrateTable.parse(table, "doc");
        try (Connection c = server.connect(); PreparedStatement ps = c.prepareStatement(CrateSql.deleteByKey(t, schema))) {
            for (List<Object> key : keys) {
                for (int i = 0; i < key.size(); i++) {
                    CrateValues.bindKey(ps, i + 1, schema.column(schema.primaryKey().get(i)), key.get(i), settings);
                }
                ps.executeUpdate();
            }
            try (Statement st = c.createStatement()) {
                st.execute(CrateSql.refresh(t));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("deleting from " + t + ": " + e.getMessage(), e);
        }
    }

    private void execute(String sql) {
        try (Connection c = server.connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
