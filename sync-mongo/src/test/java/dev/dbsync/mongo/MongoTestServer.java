package dev.dbsync.mongo;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import dev.dbsync.config.Config;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MongoDBContainer;

/**
 * The MongoDB server of this JVM's tests, resolved once:
 * <ol>
 *   <li>{@value #URL_ENV}: a running MongoDB replica set (change streams need one);</li>
 *   <li>Testcontainers {@code mongo:7.0} (a one-node replica set), when a Docker engine answers;</li>
 *   <li>{@code de.bwaldvogel:mongo-java-server} started here with its oplog enabled: an imitation of MongoDB's
 *       wire protocol, NOT MongoDB. It differs from MongoDB where it matters (see the README); the tests that pass
 *       here say nothing about those places, and {@link #imitation()} lets a test state which server it ran on.</li>
 * </ol>
 * No server means failure, never a skip.
 */
final class MongoTestServer {

    static final String URL_ENV = "DBSYNC_IT_MONGO_URL";
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static MongoTestServer shared;

    private final String url;
    private final String kind;
    private final boolean imitation;
    private final MongoClient admin;

    private MongoTestServer(String url, String kind, boolean imitation) {
        this.url = url;
        this.kind = kind;
        this.imitation = imitation;
        this.admin = MongoClients.create(url);
    }

    static synchronized MongoTestServer get() {
        if (shared == null) {
            shared = resolve();
            System.out.println("MongoDB tests run against: " + shared.kind);
        }
        return shared;
    }

    private static MongoTestServer resolve() {
        String env = System.getenv(URL_ENV);
        if (env != null && !env.isBlank()) {
            return new MongoTestServer(env, "a MongoDB server from " + URL_ENV, false);
        }
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (docker) {
            MongoDBContainer c = new MongoDBContainer("mongo:7.0");
            c.start();
            Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
            return new MongoTestServer(c.getReplicaSetUrl("admin"), "MongoDB 7.0 (Testcontainers, one-node replica set)", false);
        }
        MongoServer server = new MongoServer(new FaultInjectingBackend());
        InetSocketAddress a = server.bind();
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
        return new MongoTestServer("mongodb://127.0.0.1:" + a.getPort(),
                "mongo-java-server 1.47.0 with its oplog: an imitation of MongoDB's wire protocol, NOT MongoDB", true);
    }

    String url() {
        return url;
    }

    String kind() {
        return kind;
    }

    /** Whether the server is mongo-java-server rather than MongoDB. */
    boolean imitation() {
        return imitation;
    }

    MongoClient client() {
        return admin;
    }

    /** A database name no other test uses. */
    String newDatabase() {
        return "dbsync_it_" + ProcessHandle.current().pid() % 10_000 + "_" + DATABASES.incrementAndGet();
    }

    static Config sourceConfig(String database, Map<String, Object> more) {
        return Config.of(MongoSettings.source(), settings(database, more));
    }

    static Config sinkConfig(String database, Map<String, Object> more) {
        return Config.of(MongoSettings.sink(), settings(database, more));
    }

    static Config storeConfig(String database, Map<String, Object> more) {
        return Config.of(MongoSettings.checkpoints(), settings(database, more));
    }

    static Map<String, Object> settings(String database, Map<String, Object> more) {
        Map<String, Object> raw = new HashMap<>(more);
        raw.put(MongoSettings.URL, get().url());
        raw.put(MongoSettings.DATABASE, database);
        return raw;
    }

    /**
     * The imitation with one piece of MongoDB behaviour it lacks, injected: a change stream asked to start before
     * the oldest history the server keeps fails with error 286 (ChangeStreamHistoryLost), as MongoDB answers when
     * the oplog no longer reaches back to the resume point. The imitation keeps its oplog for ever, so its history
     * starts at {@link #HISTORY_START_SECONDS} here (or where a test moved it); a position older than that is lost history.
     */
    static final class FaultInjectingBackend extends MemoryBackend {

        /** Cluster times before this (2001-09-09) are "no longer in the oplog". */
        static final long HISTORY_START_SECONDS = 1_000_000_000L;
        /** Where the injected history starts now; a test moves it to make saved positions lost. */
        private static volatile long historyStart = HISTORY_START_SECONDS;

        /** From now on, positions before {@code epochSecond} are lost history (until {@link #restoreHistory()}). */
        static void loseHistoryBefore(long epochSecond) {
            historyStart = epochSecond;
        }

        static void restoreHistory() {
            historyStart = HISTORY_START_SECONDS;
        }

        FaultInjectingBackend() {
            version(ServerVersion.MONGO_5_0);
            enableOplog();
        }

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            if ("aggregate".equalsIgnoreCase(command) && query.get("pipeline") instanceof List) {
                List<?> pipeline = (List<?>) query.get("pipeline");
                if (!pipeline.isEmpty() && pipeline.get(0) instanceof Document
                        && ((Document) pipeline.get(0)).get("$changeStream") instanceof Document) {
                    Document cs = (Document) ((Document) pipeline.get(0)).get("$changeStream");
                    long seconds = Long.MAX_VALUE;
                    if (cs.get("startAtOperationTime") instanceof BsonTimestamp) {
                        seconds = ((BsonTimestamp) cs.get("startAtOperationTime")).getTime() & 0xffffffffL;
                    }
                    Object token = cs.get("resumeAfter") != null ? cs.get("resumeAfter") : cs.get("startAfter");
                    if (token instanceof Document && ((Document) token).get("_data") instanceof String) {
                        String data = (String) ((Document) token).get("_data");
                        seconds = Long.parseLong(data.substring(0, Math.min(8, data.length())), 16);
                    }
                    if (seconds < historyStart) {
                        throw new MongoServerError(286, "ChangeStreamHistoryLost",
                                "Resume of change stream was not possible, as the resume point may no longer be in the oplog.");
                    }
                }
            }
            return super.handleCommand(channel, database, command, query);
        }
    }
}
