package dev.dbsync.elastic;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.util.List;
import java.util.Map;

/** The sink contract suite against a real Elasticsearch; the target is read back with the connector's source. */
class ElasticSinkContractIT extends SinkContractTest {

    @Override
    protected Sink newSink() {
        return ElasticTesting.sink(Map.of());
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        return ElasticTesting.read(target.name());
    }
}
