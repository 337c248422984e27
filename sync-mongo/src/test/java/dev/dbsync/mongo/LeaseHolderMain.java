package dev.dbsync.mongo;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import java.util.Map;

/** A process that takes a pipeline's lease, saves once and then waits to be killed (for MongoCheckpointStoreIT). */
public final class LeaseHolderMain {

    private LeaseHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String database = args[1];
        String pipeline = args[2];
        CheckpointStore store = new MongoCheckpointStoreFactory().create(dev.dbsync.config.Config.of(MongoSettings.checkpoints(),
                Map.of(MongoSettings.URL, url, MongoSettings.DATABASE, database, MongoSettings.LEASE_TTL, args[3])));
        Lease lease = store.acquire(pipeline, "child:" + ProcessHandle.current().pid());
        store.save(lease, "t", "from the child");
        System.out.println("HELD " + lease.token());
        System.out.flush();
        Thread.sleep(120_000);
    }
}
