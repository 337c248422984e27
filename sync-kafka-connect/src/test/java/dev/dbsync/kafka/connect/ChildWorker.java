package dev.dbsync.kafka.connect;

import org.apache.kafka.connect.cli.ConnectDistributed;

/**
 * A distributed Connect worker as its own JVM, for tests that kill a worker with SIGKILL: arguments are the
 * bootstrap servers, the group id and the REST port. Prints {@code READY} once started and runs until killed.
 */
public final class ChildWorker {

    private ChildWorker() {
    }

    public static void main(String[] args) throws Exception {
        new ConnectDistributed().startConnect(ConnectWorker.props(args[0], args[1], Integer.parseInt(args[2])));
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }
}
