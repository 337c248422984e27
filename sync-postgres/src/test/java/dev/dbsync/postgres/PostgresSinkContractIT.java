package dev.dbsync.postgres;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.Capability;
import dev.dbsync.testkit.SinkContractTest;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The shared sink contract against a real PostgreSQL. */
class PostgresSinkContractIT extends SinkContractTest {

    private static final PgTestDb DB = PgTestDb.create("sinkcontract");

    @Override
    protected Sink newSink() {
        return new PostgresSink(DB.factory(), "public", true, null);
    }

    @Override
    protected Set<Capability> capabilities() {
        return EnumSet.complementOf(EnumSet.of(Capability.VERSIONED));
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        return DB.rows(target, PgName.parse(target.name(), "public").sql());
    }
}
