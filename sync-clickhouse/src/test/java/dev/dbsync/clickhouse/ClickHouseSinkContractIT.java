package dev.dbsync.clickhouse;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/** The sink contract against the test kit's ClickHouse; live rows are read back with FINAL. */
class ClickHouseSinkContractIT extends SinkContractTest {

    private static ChConnection reader;

    @Override
    protected Sink newSink() {
        return ClickHouseTestSupport.sink();
    }

    /** Documented: ClickHouse has no Nullable(Array), so a NULL array is stored (and read back) empty. */
    @Override
    protected Object storedForm(Column column, Object value) {
        return column.type() == LogicalType.ARRAY && value == null ? List.of() : value;
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        synchronized (ClickHouseSinkContractIT.class) {
            if (reader == null) {
                reader = ClickHouseTestSupport.connection();
            }
        }
        return ClickHouseTestSupport.liveRows(reader, target, null);
    }

    @AfterAll
    static void closeReader() {
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }
}
