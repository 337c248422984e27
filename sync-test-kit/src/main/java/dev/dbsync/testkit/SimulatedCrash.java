package dev.dbsync.testkit;

/** Thrown by {@link CrashingSink} to stand for the process dying at a chosen point. */
public final class SimulatedCrash extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SimulatedCrash(String message) {
        super(message);
    }
}
