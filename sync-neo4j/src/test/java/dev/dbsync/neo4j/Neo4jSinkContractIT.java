package dev.dbsync.neo4j;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import org.neo4j.driver.Value;

/** The sink contract against a real Neo4j, in node mode: every table's rows are nodes of its label. */
class Neo4jSinkContractIT extends SinkContractTest {

    private static final Neo4jTestServer SERVER = Neo4jTestServer.get();

    @Override
    protected Sink newSink() {
        return new Neo4jSinkFactory().create(new Neo4jSinkFactory().configDef().parse(SERVER.settings()));
    }

    /** The nodes of the table's label (placeholders are not rows), each property read back as its column's type. */
    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Session s = SERVER.driver().session()) {
            for (Record r : s.run("MATCH (n:" + Cypher.id(target.name()) + ") WHERE n._dbsync_placeholder IS NULL RETURN n").list()) {
                Value n = r.get(0);
                Map<String, Object> row = new HashMap<>();
                for (Column c : target.columns()) {
                    row.put(c.name(), GraphValues.fromGraph(n.get(c.name()), c.type(), c.elementType()));
                }
                rows.add(row);
            }
        }
        return rows;
    }
}
