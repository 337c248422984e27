package dev.dbsync.crate;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sink contract suite against a real CrateDB. The suite asks the sink for its capabilities and its refused
 * values ({@link CrateSink#refuses}: BIGINT extremes); what differs from the logical values is CrateDB's
 * documented storage: timestamps keep milliseconds ({@link #storedForm}). CrateDB refuses spaces, double quotes
 * and some punctuation in table names, so the odd table name keeps what it can hold ({@link #oddTableBase});
 * odd column names are kept whole.
 */
class CrateSinkContractIT extends SinkContractTest {

    private final CrateServer server = CrateServer.get();

    @Override
    protected Sink newSink() {
        CrateSinkFactory f = new CrateSinkFactory();
        return f.create(f.configDef().parse(server.config("replicas", "0")));
    }

    /** A quote, a hyphen, non-ASCII and an injection attempt: CrateDB refuses spaces and {@code "} in table names. */
    @Override
    protected String oddTableBase() {
        return "Odd_Tab'le-ü;_DROP_TABLE_x";
    }

    /**
     * The column as the CrateDB source describes what the sink created: a DATE is a TIMESTAMP, bytes and UUIDs are
     * text. The sink's {@link Sink#storedForm} says the same, which the suite compares through.
     */
    private static Column asTheSourceReadsIt(Column c) {
        LogicalType t = view(c.type());
        LogicalType e = c.elementType() == null ? null : view(c.elementType());
        return t == c.type() && e == c.elementType() ? c
                : new Column(c.name(), t, c.nullable(), c.precision(), c.scale(), e, c.sourceType());
    }

    private static LogicalType view(LogicalType t) {
        switch (t) {
            case DATE:
                return LogicalType.TIMESTAMP;
            case BYTES:
            case UUID:
                return LogicalType.STRING;
            default:
                return t;
        }
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
                        row.put(col.name(), CrateValues.read(rs, i + 1, asTheSourceReadsIt(col)));
                    }
                    rows.add(row);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading CrateDB table " + t + ": " + e.getMessage(), e);
        }
        return rows;
    }
}
