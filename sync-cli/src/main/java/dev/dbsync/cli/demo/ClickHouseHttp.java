package dev.dbsync.cli.demo;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Statements and queries over ClickHouse's HTTP interface with the JDK's HTTP client: enough for set-up and for
 * timing analytical queries (the response is read completely, as a client would).
 */
public final class ClickHouseHttp {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private final String url;
    private final String user;
    private final String password;
    private final String database;

    public ClickHouseHttp(String url, String user, String password, String database) {
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.user = user == null ? "default" : user;
        this.password = password == null ? "" : password;
        this.database = database;
    }

    /** Runs a statement or query and returns the response body (TabSeparated unless the SQL names a format). */
    public String execute(String sql) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/?database=" + URLEncoder.encode(database, UTF_8)))
                .header("X-ClickHouse-User", user)
                .header("X-ClickHouse-Key", password)
                .timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.ofString(sql, UTF_8))
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(UTF_8));
            if (response.statusCode() != 200) {
                throw new IllegalStateException("ClickHouse at " + url + " answered " + response.statusCode() + ": "
                        + response.body().trim());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException("ClickHouse at " + url + " did not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
