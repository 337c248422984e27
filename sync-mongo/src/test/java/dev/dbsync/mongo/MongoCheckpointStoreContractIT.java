package dev.dbsync.mongo;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.testkit.CheckpointStoreContractTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * The checkpoint-store contract against the test server, with a 2 s lease: a store that dies (closed without
 * releasing) frees the pipeline within that.
 */
class MongoCheckpointStoreContractIT extends CheckpointStoreContractTest {

    private static String database;

    @BeforeAll
    static void start() {
        MongoTestServer server = MongoTestServer.get();
        database = server.newDatabase();
        System.out.println("MongoCheckpointStoreContractIT runs against " + server.kind());
    }

    @Override
    protected CheckpointStore newStore() {
        return new MongoCheckpointStoreFactory().create(MongoTestServer.storeConfig(database, Map.of(MongoSettings.LEASE_TTL, "2s")));
    }

    @Override
    protected Duration deadHolderTimeout() {
        return Duration.ofSeconds(5);
    }
}
