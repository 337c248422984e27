package dev.dbsync.examples.customsink;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SinkContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;

/** The example sink passes the whole sink contract; the target is read back from its files. */
class JsonLinesSinkContractTest extends SinkContractTest {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    @TempDir
    Path dir;

    @Override
    protected Sink newSink() {
        return new JsonLinesSink(dir);
    }

    @Override
    protected List<Map<String, Object>> readTarget(TableSchema target) {
        Path file = dir.resolve(URLEncoder.encode(target.name(), StandardCharsets.UTF_8) + ".jsonl");
        List<Map<String, Object>> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                JsonNode row = JSON.readTree(line);
                Map<String, Object> m = new LinkedHashMap<>();
                for (Column c : target.columns()) {
                    m.put(c.name(), decode(c.type(), c.elementType(), row.get(c.name())));
                }
                out.add(m);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static Object decode(LogicalType type, LogicalType element, JsonNode v) throws IOException {
        if (v == null || v.isNull()) {
            return null;
        }
        return switch (type) {
            case INT32 -> v.intValue();
            case INT64 -> v.longValue();
            case DECIMAL -> v.decimalValue();
            case FLOAT64 -> v.doubleValue();
            case BOOLEAN -> v.booleanValue();
            case BYTES -> Base64.getDecoder().decode(v.textValue());
            case UUID -> UUID.fromString(v.textValue());
            case DATE -> LocalDate.parse(v.textValue());
            case TIMESTAMP -> LocalDateTime.parse(v.textValue());
            case TIMESTAMP_TZ -> Instant.parse(v.textValue());
            case JSON -> JSON.treeToValue(v, Object.class);
            case ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (JsonNode e : v) {
                    list.add(decode(element, null, e));
                }
                yield list;
            }
            default -> v.textValue();
        };
    }
}
