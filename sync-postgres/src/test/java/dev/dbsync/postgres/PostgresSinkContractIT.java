package dev.dbsync.postgres;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.util.List;
import java.util.Map;

/** The shared sink contract against a real PostgreSQL. */
class PostgresSinkContractIT extends SinkContractTest {

    private static final PgTestDb DB = PgTestDb.create("sinkcontract");

    @Override
    protected Sink newSink() {
        return new PostgresSink(DB.factory(), "public", true, null);
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        return DB.rows(target, PgName.parse(target.name(), "public").sql());
    }
}
