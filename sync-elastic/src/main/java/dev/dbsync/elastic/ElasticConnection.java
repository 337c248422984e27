package dev.dbsync.elastic;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.TransportException;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.message.BasicHeader;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.elasticsearch.client.RestClientBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP connection pool to a cluster: the low-level REST client and the typed client over it. Thread-safe.
 *
 * <p>Servers: 8.x answers the 8.x client directly; a 9.x server answers it through its REST compatibility
 * with 8 (the client sends {@code compatible-with=8} in its media types), which is logged. The server version is
 * read from {@code _nodes}, not from {@code GET /}, which minimal distributions do not serve.
 */
final class ElasticConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ElasticConnection.class);

    final RestClient rest;
    final ElasticsearchClient client;
    final ObjectMapper json;
    final String description;
    private final int serverMajor;

    ElasticConnection(ElasticSettings s) {
        this.json = new ObjectMapper();
        HttpHost[] hosts = new HttpHost[s.urls.size()];
        for (int i = 0; i < hosts.length; i++) {
            URI u = URI.create(s.urls.get(i));
            hosts[i] = new HttpHost(u.getHost(), u.getPort() < 0 ? ("https".equals(u.getScheme()) ? 443 : 80) : u.getPort(), u.getScheme());
        }
        RestClientBuilder b = RestClient.builder(hosts)
                .setRequestConfigCallback(rc -> rc.setSocketTimeout((int) s.requestTimeout.toMillis())
                        .setConnectTimeout((int) Math.min(s.requestTimeout.toMillis(), 10_000)));
        if (s.apiKey != null) {
            b.setDefaultHeaders(new Header[] {new BasicHeader("Authorization", "ApiKey " + s.apiKey)});
        } else if (s.user != null) {
            String basic = Base64.getEncoder().encodeToString((s.user + ":" + s.password).getBytes(StandardCharsets.UTF_8));
            b.setDefaultHeaders(new Header[] {new BasicHeader("Authorization", "Basic " + basic)});
        }
        this.rest = b.build();
        this.client = new ElasticsearchClient(new RestClientTransport(rest, new JacksonJsonpMapper(json)));
        this.description = String.join(",", s.urls);
        int major;
        try {
            major = readServerMajor();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.serverMajor = major;
    }

    private int readServerMajor() {
        JsonNode nodes;
        try {
            Response r = rest.performRequest(new Request("GET", "/_nodes/_local?filter_path=nodes.*.version"));
            nodes = json.readTree(r.getEntity().getContent()).path("nodes");
        } catch (ResponseException e) {
            int st = status(e);
            if (st == 401) {
                throw new SyncException(ErrorType.CONFIG, "user/password/api.key: Elasticsearch at " + description + " refused the credentials (HTTP 401)");
            }
            if (st == 403) {
                // a user without the monitor privilege: the version cannot be checked, writes may still be allowed
                LOG.warn("Elasticsearch at {}: not allowed to read the node version (HTTP 403); assuming 8.x", description);
                return 8;
            }
            throw new SyncException(ErrorType.EXTERNAL, "url: Elasticsearch at " + description + " answered HTTP " + st
                    + " to a node-info request; is it Elasticsearch?", e);
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "url: cannot reach Elasticsearch at " + description + ": " + e.getMessage(), e);
        }
        Iterator<JsonNode> it = nodes.elements();
        if (!it.hasNext()) {
            throw new SyncException(ErrorType.EXTERNAL, "url: " + description + " did not report a node version; is it Elasticsearch?");
        }
        String version = it.next().path("version").asText("");
        int major;
        try {
            major = Integer.parseInt(version.substring(0, version.indexOf('.')));
        } catch (RuntimeException e) {
            throw new SyncException(ErrorType.EXTERNAL, "url: " + description + " reported an unreadable version '" + version + "'");
        }
        if (major < 8) {
            throw new SyncException(ErrorType.EXTERNAL, "url: Elasticsearch " + version + " at " + description
                    + " is not supported; this connector needs 8.x (or 9.x through its REST compatibility with 8)");
        }
        if (major >= 9) {
            LOG.info("Elasticsearch {} at {}: talking to it through its REST compatibility with 8.x", version, description);
        }
        return major;
    }

    int serverMajor() {
        return serverMajor;
    }

    /** Sends a request through the low-level client and parses the JSON answer; errors are translated. */
    JsonNode call(String what, Request request) {
        try {
            Response r = rest.performRequest(request);
            if (r.getEntity() == null) {
                return json.createObjectNode();
            }
            return json.readTree(r.getEntity().getContent());
        } catch (IOException e) {
            throw translate(what, e);
        }
    }

    /**
     * Translates a client failure: lost connections, timeouts, 429 and 5xx are retriable; anything else names what
     * was being done.
     */
    RuntimeException translate(String what, Exception e) {
        int status = -1;
        String detail = e.getMessage();
        if (e instanceof ResponseException) {
            status = ((ResponseException) e).getResponse().getStatusLine().getStatusCode();
        } else if (e instanceof ElasticsearchException) {
            status = ((ElasticsearchException) e).status();
            detail = ((ElasticsearchException) e).error().type() + ": " + ((ElasticsearchException) e).error().reason();
        } else if (e instanceof TransportException && e.getCause() instanceof ResponseException) {
            status = ((ResponseException) e.getCause()).getResponse().getStatusLine().getStatusCode();
        }
        if (status == 429 || status >= 500 || (status == -1 && (e instanceof IOException || e instanceof TransportException))) {
            return new RetriableException(what + " at " + description + " failed" + (status > 0 ? " (HTTP " + status + ")" : "")
                    + ": " + detail, e);
        }
        return new SyncException(ErrorType.EXTERNAL, what + " at " + description + " failed"
                + (status > 0 ? " (HTTP " + status + ")" : "") + ": " + detail, e);
    }

    static int status(Exception e) {
        if (e instanceof ResponseException) {
            return ((ResponseException) e).getResponse().getStatusLine().getStatusCode();
        }
        if (e instanceof ElasticsearchException) {
            return ((ElasticsearchException) e).status();
        }
        return -1;
    }

    static String join(List<String> parts) {
        return String.join(",", parts);
    }

    @Override
    public void close() {
        try {
            rest.close();
        } catch (IOException e) {
            LOG.debug("closing the Elasticsearch client failed", e);
        }
    }
}
