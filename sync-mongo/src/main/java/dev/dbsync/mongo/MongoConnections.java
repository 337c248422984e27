package dev.dbsync.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoExecutionTimeoutException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.dbsync.config.Config;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.UuidRepresentation;

/** Opens clients and classifies driver errors; the connection string never appears in a message. */
final class MongoConnections {

    private MongoConnections() {
    }

    static MongoClient open(Config config) {
        String url = config.getString(MongoSettings.URL);
        ConnectionString cs;
        try {
            cs = new ConnectionString(url);
        } catch (IllegalArgumentException e) {
            // the driver's message quotes the string, which may hold a password
            throw new SyncException(ErrorType.CONFIG, "invalid setting '" + MongoSettings.URL + "': not a valid MongoDB connection string");
        }
        MongoClientSettings settings = MongoClientSettings.builder()
                .applyConnectionString(cs)
                // UUIDs are written as BSON binary subtype 4, the representation every current driver reads as a UUID
                .uuidRepresentation(UuidRepresentation.STANDARD)
                .applyToClusterSettings(b -> b.serverSelectionTimeout(cs.getServerSelectionTimeout() == null
                        ? 15_000 : cs.getServerSelectionTimeout(), TimeUnit.MILLISECONDS))
                .build();
        return MongoClients.create(settings);
    }

    static MongoDatabase database(MongoClient client, Config config) {
        return client.getDatabase(config.getString(MongoSettings.DATABASE));
    }

    /** The server's clock, from {@code isMaster}'s {@code localTime}; the client's clock when it is missing. */
    static Instant serverTime(MongoDatabase db) {
        Document r = db.runCommand(new Document("isMaster", 1));
        Object t = r.get("localTime");
        return t instanceof Date ? ((Date) t).toInstant() : Instant.now();
    }

    /** True for failures that may go away by themselves: the engine retries them. */
    static boolean transientFailure(MongoException e) {
        if (e instanceof MongoSocketException || e instanceof MongoTimeoutException || e instanceof MongoNotPrimaryException
                || e instanceof MongoNodeIsRecoveringException || e instanceof MongoExecutionTimeoutException) {
            return true;
        }
        return e.hasErrorLabel("RetryableWriteError") || e.hasErrorLabel("TransientTransactionError")
                || e.hasErrorLabel("ResumableChangeStreamError");
    }

    /** Wraps a driver failure: transient ones as {@link RetriableException}, the others as external errors. */
    static SyncException wrap(String what, MongoException e) {
        String msg = what + ": " + describe(e);
        return transientFailure(e) ? new RetriableException(msg, e) : new SyncException(ErrorType.EXTERNAL, msg, e);
    }

    static String describe(MongoException e) {
        if (e instanceof MongoCommandException) {
            MongoCommandException c = (MongoCommandException) e;
            return "error " + c.getErrorCode() + " (" + c.getErrorCodeName() + "): " + c.getErrorMessage();
        }
        return e.getClass().getSimpleName() + " " + e.getCode() + ": " + e.getMessage();
    }
}
