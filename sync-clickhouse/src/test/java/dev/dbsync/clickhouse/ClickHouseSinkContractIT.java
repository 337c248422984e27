package dev.dbsync.clickhouse;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.Capability;
import dev.dbsync.testkit.SinkContractTest;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;

/** The sink contract against the test kit's ClickHouse; live rows are read back with FINAL. */
class ClickHouseSinkContractIT extends SinkContractTest {

    private static ChConnection reader;

    @Override
    protected Sink newSink() {
        return ClickHouseTestSupport.sink();
    }

    @Override
    protected Set<Capability> capabilities() {
        // ARRAY is left out: ClickHouse has no Nullable(Array), so a NULL array reads back empty
        return EnumSet.of(Capability.DELETE, Capability.TRUNCATE, Capability.AUTO_CREATE, Capability.COMPOSITE_KEY,
                Capability.ODD_IDENTIFIERS, Capability.BINARY, Capability.UUID, Capability.JSON, Capability.TIMESTAMP_NO_TZ,
                Capability.VERSIONED);
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
