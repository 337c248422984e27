package dev.dbsync.testkit;

import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.memory.MemorySink;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The reference in-memory sink passes the whole sink contract. */
class MemorySinkContractTest extends SinkContractTest {

    private final MemorySink sink = createSink();

    /** The sink under test; subclasses test variants. */
    protected MemorySink createSink() {
        return new MemorySink();
    }

    @Override
    protected Sink newSink() {
        return sink;
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (List<Object> row : sink.rows(target.name())) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < target.columns().size(); i++) {
                m.put(target.columns().get(i).name(), row.get(i));
            }
            out.add(m);
        }
        return out;
    }

    /** The variant loading fresh snapshots aside passes the contract, replacements included. */
    static class Replacing extends MemorySinkContractTest {
        @Override
        protected MemorySink createSink() {
            return new MemorySink().replacing();
        }
    }

    /** The versioned variant passes the contract, versions included. */
    static class Versioned extends MemorySinkContractTest {
        @Override
        protected MemorySink createSink() {
            return new MemorySink().versioned();
        }
    }
}
