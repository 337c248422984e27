package dev.dbsync.redis;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.util.List;
import java.util.Map;

/** The sink contract with rows as JSON documents ({@code value.format: json}). */
class RedisJsonSinkContractIT extends SinkContractTest {

    private final String prefix = Fixtures.uniquePrefix("jsonct");

    @Override
    protected Sink newSink() {
        return Fixtures.sink(prefix, "value.format", "json");
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        return Fixtures.readAll(prefix, target);
    }
}
