package dev.dbsync.clickhouse;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ClientException;
import com.clickhouse.client.api.ConnectionInitiationException;
import com.clickhouse.client.api.DataStreamWriter;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.insert.InsertSettings;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import com.clickhouse.data.ClickHouseFormat;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One client-v2 {@link Client} plus the mapping of its failures onto dbsync's exceptions. Thread-safe (the
 * client is).
 */
final class ChConnection implements AutoCloseable {

    /** Server error codes that mean a value in the data is bad: the engine isolates the row. */
    static final Set<Integer> DATA_CODES = Set.of(
            6,    // CANNOT_PARSE_TEXT
            27,   // CANNOT_PARSE_INPUT_ASSERTION_FAILED
            38,   // CANNOT_PARSE_DATE
            41,   // CANNOT_PARSE_DATETIME
            53,   // TYPE_MISMATCH
            69,   // ARGUMENT_OUT_OF_BOUND
            70,   // CANNOT_CONVERT_TYPE
            72,   // CANNOT_PARSE_NUMBER
            117,  // INCORRECT_DATA
            131,  // TOO_LARGE_STRING_SIZE
            321,  // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
            407,  // DECIMAL_OVERFLOW
            469,  // VIOLATED_CONSTRAINT
            636); // CANNOT_EXTRACT_TABLE_STRUCTURE

    /** Server error codes of transient conditions: the engine retries with backoff. */
    static final Set<Integer> RETRIABLE_CODES = Set.of(
            159,  // TIMEOUT_EXCEEDED
            164,  // READONLY
            202,  // TOO_MANY_SIMULTANEOUS_QUERIES
            203,  // NO_FREE_CONNECTION
            209,  // SOCKET_TIMEOUT
            210,  // NETWORK_ERROR
            241,  // MEMORY_LIMIT_EXCEEDED
            242,  // TABLE_IS_READ_ONLY
            252,  // TOO_MANY_PARTS
            319,  // UNKNOWN_STATUS_OF_INSERT
            425,  // SYSTEM_ERROR
            999); // KEEPER_EXCEPTION

    private final Client client;
    private final ClickHouseSettings settings;

    ChConnection(ClickHouseSettings settings) {
        this.settings = settings;
        try {
            this.client = new Client.Builder()
                    .addEndpoint(settings.url)
                    .setUsername(settings.user)
                    .setPassword(settings.password)
                    .setDefaultDatabase(settings.database)
                    .compressClientRequest(settings.compress)
                    .setSocketTimeout(settings.socketTimeout.toMillis(), ChronoUnit.MILLIS)
                    .setConnectTimeout(10_000, ChronoUnit.MILLIS)
                    .setMaxRetries(0) // the engine retries RetriableException with backoff
                    .build();
        } catch (RuntimeException e) {
            throw new SyncException(ErrorType.CONFIG, "cannot create a ClickHouse client for setting 'url' = "
                    + settings.url + ": " + e.getMessage(), e);
        }
    }

    ClickHouseSettings settings() {
        return settings;
    }

    /** Runs a statement that returns no rows. {@code what} names the table for messages. */
    void execute(String sql, String what) {
        try {
            client.query(sql).get(settings.socketTimeout.toMillis() + 60_000, TimeUnit.MILLISECONDS).close();
        } catch (Exception e) {
            throw map(e, what, sql);
        }
    }

    /** Runs a query and hands its RowBinaryWithNamesAndTypes body to {@code body}. */
    <T> T query(String sql, Map<String, Object> params, String what, ResponseHandler<T> body) {
        QuerySettings qs = new QuerySettings().setFormat(ClickHouseFormat.RowBinaryWithNamesAndTypes);
        if (settings.jsonType) {
            qs.serverSetting("output_format_binary_write_json_as_string", "1");
        }
        try (QueryResponse r = client.query(sql, params, qs).get(settings.socketTimeout.toMillis() + 60_000, TimeUnit.MILLISECONDS)) {
            return body.read(new RowBinary.Input(r.getInputStream()));
        } catch (Exception e) {
            throw map(e, what, sql);
        }
    }

    /** Sends a RowBinary INSERT whose body {@code writer} produces; returns the rows the server wrote. */
    long insert(String qualifiedTable, List<String> quotedColumns, DataStreamWriter writer, String what) {
        InsertSettings is = new InsertSettings();
        // the engine's flush must mean "in the table": never an asynchronous insert, whatever the user's profile says
        is.serverSetting("async_insert", "0");
        if (settings.jsonType) {
            is.serverSetting("input_format_binary_read_json_as_string", "1");
        }
        try {
            InsertResponse r = client.insert(qualifiedTable, quotedColumns, writer, ClickHouseFormat.RowBinary, is)
                    .get(settings.socketTimeout.toMillis() + 60_000, TimeUnit.MILLISECONDS);
            long n = r.getWrittenRows();
            r.close();
            return n;
        } catch (Exception e) {
            throw map(e, what, "INSERT INTO " + qualifiedTable + " FORMAT RowBinary");
        }
    }

    /** Reads a response. */
    interface ResponseHandler<T> {
        T read(RowBinary.Input in) throws IOException;
    }

    /** Maps a client failure onto RetriableException, DataException or SyncException naming {@code what}. */
    static SyncException map(Throwable e, String what, String sql) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof java.util.concurrent.CompletionException
                || t instanceof UncheckedIOException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof SyncException) {
            return (SyncException) t;
        }
        if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new RetriableException(what + ": interrupted", t);
        }
        ServerException server = find(t, ServerException.class);
        if (server != null) {
            int code = server.getCode();
            String msg = what + ": ClickHouse error " + code + ": " + firstLine(server.getMessage());
            if (DATA_CODES.contains(code)) {
                return new DataException(msg, server);
            }
            if (RETRIABLE_CODES.contains(code) || server.isRetryable()) {
                return new RetriableException(msg, server);
            }
            return new SyncException(ErrorType.EXTERNAL, msg + " (statement: " + abbreviate(sql) + ")", server);
        }
        if (t instanceof TimeoutException || find(t, ConnectionInitiationException.class) != null
                || find(t, ConnectException.class) != null || find(t, SocketException.class) != null
                || find(t, InterruptedIOException.class) != null || find(t, UnknownHostException.class) != null
                || find(t, NoRouteToHostException.class) != null
                || find(t, org.apache.hc.core5.http.NoHttpResponseException.class) != null
                || find(t, IOException.class) != null) {
            return new RetriableException(what + ": cannot reach ClickHouse: " + t, t);
        }
        if (t instanceof ClientException) {
            return new SyncException(ErrorType.EXTERNAL, what + ": " + t.getMessage(), t);
        }
        if (t instanceof IllegalArgumentException) {
            return new DataException(what + ": " + t.getMessage(), t);
        }
        return new SyncException(ErrorType.INTERNAL, what + ": " + t, t);
    }

    private static <X extends Throwable> X find(Throwable t, Class<X> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String abbreviate(String sql) {
        return sql.length() <= 300 ? sql : sql.substring(0, 300) + "…";
    }

    @Override
    public void close() {
        client.close();
    }
}
