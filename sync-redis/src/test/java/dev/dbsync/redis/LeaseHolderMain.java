package dev.dbsync.redis;

import dev.dbsync.spi.Lease;

/**
 * A separate process for {@link RedisCheckpointStoreIT}: takes the lease of a pipeline, saves a checkpoint,
 * prints {@code HELD <token>} and waits to be killed. Arguments: URL, key prefix, pipeline, lease TTL.
 */
public final class LeaseHolderMain {

    private LeaseHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        RedisCheckpointStoreFactory f = new RedisCheckpointStoreFactory();
        RedisCheckpointStore store = (RedisCheckpointStore) f.create(f.configDef().parse(java.util.Map.of(
                "url", args[0], "key.prefix", args[1], "lease.ttl", args[3])));
        Lease lease = store.acquire(args[2], "child:" + ProcessHandle.current().pid());
        store.save(lease, "t", "saved by the child");
        System.out.println("HELD " + lease.token());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
