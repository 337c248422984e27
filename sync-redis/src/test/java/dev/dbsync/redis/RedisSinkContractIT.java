package dev.dbsync.redis;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.util.List;
import java.util.Map;

/** The sink contract with rows as hashes (the default value format). */
class RedisSinkContractIT extends SinkContractTest {

    private final String prefix = Fixtures.uniquePrefix("sinkct");

    @Override
    protected Sink newSink() {
        return Fixtures.sink(prefix);
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        return Fixtures.readAll(prefix, target);
    }
}
