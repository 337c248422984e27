package dev.dbsync.kafka;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Lease;
import java.util.Map;

/**
 * A process holding a pipeline's lease in the Kafka checkpoint store until it is killed: arguments are the
 * bootstrap servers, the checkpoint topic and the pipeline. Prints {@code HELD} once the lease is taken and a
 * checkpoint saved.
 */
public final class LeaseHolderMain {

    private LeaseHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        KafkaCheckpointStoreFactory f = new KafkaCheckpointStoreFactory();
        CheckpointStore store = f.create(f.configDef().parse(Map.of("bootstrap.servers", args[0], "checkpoint.topic", args[1],
                "lease.ttl", "2s")));
        Lease lease = store.acquire(args[2], "child:" + ProcessHandle.current().pid());
        store.save(lease, "public.t", "saved by the child");
        System.out.println("HELD");
        System.out.flush();
        Thread.currentThread().join();
    }
}
