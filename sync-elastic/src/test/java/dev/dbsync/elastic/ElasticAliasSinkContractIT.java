package dev.dbsync.elastic;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.util.List;
import java.util.Map;

/** The sink contract suite with index.alias=true: writes go through an alias, TRUNCATE swaps in a new index. */
class ElasticAliasSinkContractIT extends SinkContractTest {

    @Override
    protected Sink newSink() {
        return ElasticTesting.sink(Map.of("index.alias", "true", "index.prefix", "alias_", "dynamic", "strict"));
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        return ElasticTesting.read("alias_" + target.name());
    }
}
