package dev.dbsync.testkit;

import java.util.function.Supplier;

/**
 * A server started at most once per JVM: the first caller starts it, later callers get the same one; a failed
 * start is remembered and thrown again, so every test reports the same cause without retrying a slow start.
 */
final class StartOnce<T> {

    private T value;
    private RuntimeException failure;

    synchronized T get(Supplier<T> start) {
        if (value != null) {
            return value;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            value = start.get();
            return value;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        }
    }
}
