package dev.dbsync.neo4j;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.testkit.CheckpointStoreContractTest;
import java.time.Duration;

/**
 * The checkpoint-store contract against a real Neo4j. A simulated death stops the lease renewal and drops the
 * connection without releasing, so the next holder gets the pipeline only once the lease expired on the server.
 */
class Neo4jCheckpointStoreContractIT extends CheckpointStoreContractTest {

    private static final Neo4jTestServer SERVER = Neo4jTestServer.get();

    @Override
    protected CheckpointStore newStore() {
        return new Neo4jCheckpointStoreFactory().create(new Neo4jCheckpointStoreFactory().configDef()
                .parse(SERVER.settings("lease.ttl", "3s")));
    }

    @Override
    protected void simulateDeath(CheckpointStore store) {
        ((Neo4jCheckpointStore) store).kill();
    }

    /** A killed holder blocks for at most one TTL (3 s here), plus slack for a busy machine. */
    @Override
    protected Duration deadHolderTimeout() {
        return Duration.ofSeconds(8);
    }
}
