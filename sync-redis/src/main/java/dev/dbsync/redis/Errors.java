package dev.dbsync.redis;

import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/** Maps driver errors to dbsync's exception types by what the caller can do about them. */
final class Errors {

    /** Prefix of the errors the scripts raise when a lease is no longer current. */
    static final String FENCED = "DBSYNCFENCED";

    private Errors() {
    }

    /** Redis error codes that go away by themselves (memory freed, script finished, failover, loading). */
    static boolean transientReply(String message) {
        if (message == null) {
            return false;
        }
        return message.startsWith("OOM") || message.startsWith("BUSY") || message.startsWith("LOADING")
                || message.startsWith("READONLY") || message.startsWith("MASTERDOWN") || message.startsWith("TRYAGAIN")
                || message.startsWith("CLUSTERDOWN") || message.startsWith("NOREPLICAS");
    }

    static boolean fenced(String message) {
        return message != null && message.contains(FENCED);
    }

    static boolean noScript(String message) {
        return message != null && message.startsWith("NOSCRIPT");
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** A connection failure is transient; an error reply is transient when its code says so, fatal otherwise. */
    static SyncException translate(String what, JedisException e) {
        if (e instanceof JedisConnectionException) {
            return new RetriableException("Redis: cannot " + what + ": " + describe(e), e);
        }
        String m = e.getMessage();
        if (fenced(m)) {
            return new LeaseException("Redis: " + what + ": " + m.substring(m.indexOf(FENCED) + FENCED.length()).trim(), e);
        }
        if (e instanceof JedisDataException && transientReply(m)) {
            return new RetriableException("Redis: cannot " + what + ": " + m, e);
        }
        return new SyncException(ErrorType.EXTERNAL, "Redis: cannot " + what + ": " + describe(e), e);
    }
}
