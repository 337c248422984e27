package dev.dbsync.crate;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.Capability;
import dev.dbsync.testkit.SinkContractTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sink contract suite against a real CrateDB. Not declared: ODD_IDENTIFIERS, because CrateDB refuses spaces
 * and double quotes in table names (the sink names the table and the rule instead; quoting is unit-tested).
 */
class CrateSinkContractIT extends SinkContractTest {

    private final CrateServer server = CrateServer.get();

    @Override
    protected Sink newSink() {
        CrateSinkFactory f = new CrateSinkFactory();
        return f.create(f.configDef().parse(server.config("replicas", "0")));
    }

    @Override
    protected Set<Capability> capabilities() {
        return EnumSet.of(Capability.DELETE, Capability.TRUNCATE, Capability.AUTO_CREATE, Capability.COMPOSITE_KEY,
                Capability.BINARY, Capability.UUID, Capability.JSON, Capability.ARRAY, Capability.TIMESTAMP_NO_TZ);
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        CrateTable t = CrateTable.parse(target.name(), "doc");
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Connection c = server.connect(); Statement st = c.createStatement()) {
            st.execute(CrateSql.refresh(t));
            try (ResultSet rs = st.executeQuery("SELECT " + CrateSql.joinQuoted(target.columnNames()) + " FROM "
                    + CrateSql.qualified(t))) {
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 0; i < target.columns().size(); i++) {
                        Column col = target.columns().get(i);
                        row.put(col.name(), CrateValues.read(rs, i + 1, col));
                    }
                    rows.add(row);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading CrateDB table " + t + ": " + e.getMessage(), e);
        }
        return rows;
    }

    /** CrateDB stores timestamps as epoch milliseconds: expected values are compared at that precision. */
    @Override
    protected void assertTarget(TableSchema s, List<List<Object>> expected) {
        List<List<Object>> millis = new ArrayList<>();
        for (List<Object> row : expected) {
            List<Object> r = new ArrayList<>(row.size());
            for (Object v : row) {
                if (v instanceof Instant) {
                    r.add(((Instant) v).truncatedTo(ChronoUnit.MILLIS));
                } else if (v instanceof LocalDateTime) {
                    r.add(((LocalDateTime) v).truncatedTo(ChronoUnit.MILLIS));
                } else {
                    r.add(v);
                }
            }
            millis.add(r);
        }
        super.assertTarget(s, millis);
    }
}
