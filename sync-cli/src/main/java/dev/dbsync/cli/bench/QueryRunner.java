package dev.dbsync.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.dbsync.cli.demo.ClickHouseHttp;
import dev.dbsync.cli.demo.Target;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Asks one database a question in its own language ({@link Queries}) and reads the whole answer, as rows of
 * column → value text (so answers can be compared across databases). JDBC for PostgreSQL and CrateDB, HTTP for
 * ClickHouse and Elasticsearch, the official drivers for MongoDB, Redis (Jedis) and Neo4j.
 */
interface QueryRunner extends AutoCloseable {

    /** The answer: every row, column name → value as text (null for NULL). */
    record Answer(List<Map<String, String>> rows) {

        /** The first row's values, separated by spaces ("" when there is none). */
        String firstRow() {
            if (rows.isEmpty()) {
                return "";
            }
            StringBuilder sb = new StringBuilder();
            rows.get(0).values().forEach(v -> sb.append(sb.length() > 0 ? " " : "").append(v));
            return sb.toString();
        }
    }

    /** Asks {@code text} (a question in this database's dialect) about key {@code id}. */
    Answer run(String text, long id) throws Exception;

    /** The server's version, asked of the server. */
    String version() throws Exception;

    @Override
    void close() throws Exception;

    static QueryRunner open(Target t) throws Exception {
        return switch (t.type()) {
            case "clickhouse" -> new ClickHouse(t);
            case "mongo" -> new Mongo(t);
            case "elasticsearch" -> new Elastic(t);
            case "redis" -> new Redis(t);
            case "neo4j" -> new Neo4j(t);
            default -> new Jdbc(t);
        };
    }

    /** The text with {@code ?ID} replaced by the key and {@code {P}} by the target's index or key prefix. */
    static String fill(Target t, String text, long id) {
        String prefix = String.valueOf(t.settings().getOrDefault("index.prefix", t.settings().getOrDefault("key.prefix", "")));
        return text.replace("?ID", Long.toString(id)).replace("{P}", prefix);
    }

    /** PostgreSQL and CrateDB. */
    final class Jdbc implements QueryRunner {
        private final Connection c;

        Jdbc(Target t) throws SQLException {
            c = DriverManager.getConnection(t.queryUrl(), BenchSetup.props(t));
        }

        @Override
        public Answer run(String sql, long id) throws SQLException {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql.replace("?ID", Long.toString(id)))) {
                ResultSetMetaData md = rs.getMetaData();
                List<Map<String, String>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, String> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        row.put(md.getColumnLabel(i), rs.getString(i));
                    }
                    rows.add(row);
                }
                return new Answer(rows);
            }
        }

        @Override
        public String version() throws SQLException {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version()")) {
                rs.next();
                return rs.getString(1);
            }
        }

        /** Runs a statement that returns nothing (e.g. CREATE INDEX). */
        void execute(String sql) throws SQLException {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            }
        }

        @Override
        public void close() throws SQLException {
            c.close();
        }
    }

    /** ClickHouse over HTTP, answers as TSV with a header line. */
    final class ClickHouse implements QueryRunner {
        private final ClickHouseHttp http;

        ClickHouse(Target t) {
            http = new ClickHouseHttp(t.queryUrl(), t.user(), t.password(),
                    String.valueOf(t.settings().getOrDefault("database", "default")));
        }

        @Override
        public Answer run(String sql, long id) {
            String body = http.execute(sql.replace("?ID", Long.toString(id)) + " FORMAT TSVWithNames");
            String[] lines = body.isEmpty() ? new String[0] : body.split("\n");
            List<Map<String, String>> rows = new ArrayList<>();
            if (lines.length > 0) {
                String[] names = lines[0].split("\t", -1);
                for (int i = 1; i < lines.length; i++) {
                    String[] values = lines[i].split("\t", -1);
                    Map<String, String> row = new LinkedHashMap<>();
                    for (int j = 0; j < names.length; j++) {
                        row.put(names[j], j < values.length && !values[j].equals("\\N") ? values[j] : null);
                    }
                    rows.add(row);
                }
            }
            return new Answer(rows);
        }

        @Override
        public String version() {
            return "ClickHouse " + http.execute("SELECT version()").trim();
        }

        @Override
        public void close() {
        }
    }

    /** MongoDB: {@code collection: [pipeline]} run as an aggregation. */
    final class Mongo implements QueryRunner {
        private final Target t;
        private final MongoClient client;
        private final MongoDatabase db;

        Mongo(Target t) {
            this.t = t;
            client = MongoClients.create(t.queryUrl());
            db = client.getDatabase(String.valueOf(t.settings().get("database")));
        }

        @Override
        public Answer run(String text, long id) {
            String filled = fill(t, text, id);
            int colon = filled.indexOf(':');
            String collection = filled.substring(0, colon).trim();
            List<Document> pipeline = Document.parse("{p: " + filled.substring(colon + 1) + "}").getList("p", Document.class);
            List<Map<String, String>> rows = new ArrayList<>();
            for (Document d : db.getCollection(collection).aggregate(pipeline)) {
                Map<String, String> row = new LinkedHashMap<>();
                d.forEach((k, v) -> row.put(k, text(v)));
                rows.add(row);
            }
            return new Answer(rows);
        }

        private static String text(Object v) {
            if (v == null) {
                return null;
            }
            if (v instanceof Decimal128 d) {
                return d.bigDecimalValue().toPlainString();
            }
            if (v instanceof java.util.Date d) {
                return d.toInstant().toString();
            }
            return v.toString();
        }

        @Override
        public String version() {
            Document info = db.runCommand(new Document("buildInfo", 1));
            return "MongoDB wire protocol, server reports version " + info.get("version");
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /**
     * Elasticsearch: {@code METHOD path [body]}. Answers become rows: a count → one row; aggregations → the first
     * aggregation's buckets (key, doc_count, then each sub-aggregation's value) or its value; hits → their
     * {@code _source}; a document → its {@code _source} (none when not found).
     */
    final class Elastic implements QueryRunner {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final Target t;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        private final String base;
        private final String auth;

        Elastic(Target t) {
            this.t = t;
            String url = t.queryUrl().split(",")[0].trim();
            base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            auth = t.user() == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                    (t.user() + ":" + (t.password() == null ? "" : t.password())).getBytes(StandardCharsets.UTF_8));
        }

        private JsonNode request(String method, String path, String body) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/" + path)).timeout(Duration.ofMinutes(2))
                    .header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (auth != null) {
                b.header("Authorization", auth);
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() == 404 && path.contains("/_doc/")) {
                return null;
            }
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("Elasticsearch answered " + r.statusCode() + " to " + method + " " + path
                        + ": " + r.body());
            }
            return JSON.readTree(r.body());
        }

        @Override
        public Answer run(String text, long id) throws Exception {
            String filled = fill(t, text, id);
            String[] parts = filled.split(" ", 3);
            // the body of a search is sent with POST: some HTTP stacks drop a GET's body
            String method = parts.length > 2 ? "POST" : parts[0];
            JsonNode n = request(method, parts[1], parts.length > 2 ? parts[2] : null);
            List<Map<String, String>> rows = new ArrayList<>();
            if (n == null) {
                return new Answer(rows);
            }
            if (n.has("count")) {
                rows.add(Map.of("count", n.get("count").asText()));
            } else if (n.has("aggregations")) {
                JsonNode agg = n.get("aggregations").elements().next();
                if (agg.has("buckets")) {
                    for (JsonNode b : agg.get("buckets")) {
                        Map<String, String> row = new LinkedHashMap<>();
                        row.put("key", b.has("key_as_string") ? b.get("key_as_string").asText() : b.get("key").asText());
                        row.put("doc_count", b.get("doc_count").asText());
                        for (Iterator<Map.Entry<String, JsonNode>> it = b.fields(); it.hasNext(); ) {
                            Map.Entry<String, JsonNode> e = it.next();
                            if (e.getValue().isObject() && e.getValue().has("value")) {
                                row.put(e.getKey(), e.getValue().get("value").asText());
                            }
                        }
                        rows.add(row);
                    }
                } else {
                    rows.add(Map.of("value", agg.get("value").asText()));
                }
            } else if (n.has("hits")) {
                for (JsonNode h : n.get("hits").get("hits")) {
                    rows.add(source(h));
                }
            } else if (n.has("_source")) {
                rows.add(source(n));
            }
            return new Answer(rows);
        }

        private static Map<String, String> source(JsonNode hit) {
            Map<String, String> row = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = hit.get("_source").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                row.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().isValueNode() ? e.getValue().asText()
                        : e.getValue().toString());
            }
            return row;
        }

        @Override
        public String version() throws Exception {
            JsonNode nodes = request("GET", "_nodes/_local?filter_path=nodes.*.version", null).get("nodes");
            return "Elasticsearch " + nodes.elements().next().get("version").asText();
        }

        @Override
        public void close() {
        }
    }

    /**
     * Redis: {@code HGETALL key}, or {@code SMEMBERS key} / {@code ZREVRANGE key start stop} followed by
     * {@code -> HGETALL pattern}: the hash of every member, read in one pipeline. Fields of dbsync's bookkeeping
     * ({@code ~v}) are left out.
     */
    final class Redis implements QueryRunner {
        private final Target t;
        private final Jedis jedis;

        Redis(Target t) {
            this.t = t;
            jedis = new Jedis(URI.create(t.queryUrl()));
        }

        @Override
        public Answer run(String text, long id) {
            String filled = fill(t, text, id);
            String[] steps = filled.split(" -> ");
            String[] cmd = steps[0].trim().split(" ");
            List<Map<String, String>> rows = new ArrayList<>();
            if (cmd[0].equals("HGETALL")) {
                add(rows, jedis.hgetAll(cmd[1]));
                return new Answer(rows);
            }
            List<String> members = switch (cmd[0]) {
                case "SMEMBERS" -> new ArrayList<>(jedis.smembers(cmd[1]));
                case "ZREVRANGE" -> jedis.zrevrange(cmd[1], Long.parseLong(cmd[2]), Long.parseLong(cmd[3]));
                default -> throw new IllegalArgumentException("unsupported Redis question: " + steps[0]);
            };
            String pattern = steps[1].trim().substring("HGETALL ".length());
            Pipeline p = jedis.pipelined();
            List<Response<Map<String, String>>> hashes = new ArrayList<>();
            for (String m : members) {
                hashes.add(p.hgetAll(pattern.replace("*", m)));
            }
            p.sync();
            hashes.forEach(h -> add(rows, h.get()));
            return new Answer(rows);
        }

        private static void add(List<Map<String, String>> rows, Map<String, String> hash) {
            if (!hash.isEmpty()) {
                Map<String, String> row = new LinkedHashMap<>(hash);
                row.keySet().removeIf(k -> k.startsWith("~"));
                rows.add(row);
            }
        }

        @Override
        public String version() {
            for (String line : jedis.info("server").split("\r?\n")) {
                if (line.startsWith("redis_version:")) {
                    return "Redis " + line.substring("redis_version:".length()).trim();
                }
            }
            return "Redis (version not reported)";
        }

        @Override
        public void close() {
            jedis.close();
        }
    }

    /** Neo4j: Cypher with {@code $id}; {@code {T}} and {@code {TU}} are the labels' and relationship's suffixes. */
    final class Neo4j implements QueryRunner {
        private final Driver driver;
        private final Session session;
        private final String tag;

        Neo4j(Target t) {
            driver = t.password() == null ? GraphDatabase.driver(t.queryUrl(), AuthTokens.none())
                    : GraphDatabase.driver(t.queryUrl(), AuthTokens.basic(t.user() == null ? "neo4j" : t.user(), t.password()));
            session = driver.session();
            // the labels are <Name><suffix> (e.g. customers=Customer_bench_x1): the run's suffix
            tag = ((List<?>) t.settings().get("labels")).stream().map(Object::toString)
                    .filter(s -> s.startsWith("customers=Customer")).findFirst()
                    .map(s -> s.substring("customers=Customer".length())).orElse("");
        }

        @Override
        public Answer run(String cypher, long id) {
            String q = cypher.replace("{TU}", tag.toUpperCase(java.util.Locale.ROOT)).replace("{T}", tag);
            List<Map<String, String>> rows = new ArrayList<>();
            for (Record r : session.run(q, Map.of("id", id)).list()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (String k : r.keys()) {
                    Object v = r.get(k).asObject();
                    row.put(k, v == null ? null : v instanceof BigDecimal b ? b.toPlainString() : v.toString());
                }
                rows.add(row);
            }
            return new Answer(rows);
        }

        @Override
        public String version() {
            Record r = session.run("CALL dbms.components() YIELD name, versions, edition "
                    + "RETURN name + ' ' + versions[0] + ' ' + edition AS v").single();
            return r.get("v").asString();
        }

        @Override
        public void close() {
            session.close();
            driver.close();
        }
    }
}
