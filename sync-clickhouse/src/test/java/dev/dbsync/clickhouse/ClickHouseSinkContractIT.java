package dev.dbsync.clickhouse;

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
