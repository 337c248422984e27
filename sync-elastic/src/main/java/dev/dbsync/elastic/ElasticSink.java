package dev.dbsync.elastic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.ResponseException;

/**
 * The Elasticsearch sink: one index per table (or an alias over generation indexes), created with explicit
 * mappings from the schema; writers send bulk requests. Thread-safe: tables are opened from several threads.
 */
final class ElasticSink implements Sink {

    private static final Pattern GENERATION = Pattern.compile("-g(\\d+)$");

    private final ElasticSettings settings;
    private final ElasticConnection conn;
    private volatile ElasticCheckpointStore store;

    ElasticSink(ElasticSettings settings) {
        this.settings = settings;
        this.conn = new ElasticConnection(settings);
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE,
                SinkCapability.VERSIONED, SinkCapability.CHECKPOINT_STORE);
    }

    @Override
    public String refuses(Column column, Object value) {
        return Docs.refuses(column, column.type(), value, settings);
    }

    @Override
    public TableWriter open(TableSchema schema) {
        Docs.checkColumns(schema);
        String name = Docs.indexName(settings.indexPrefix, schema.name());
        ObjectNode mapping = Docs.mapping(conn.json, schema, settings);
        if (settings.alias) {
            openAlias(schema, name, mapping);
        } else {
            ensureIndex(schema, name, mapping, null);
        }
        return new ElasticTableWriter(this, schema, name);
    }

    ElasticConnection connection() {
        return conn;
    }

    ElasticSettings settings() {
        return settings;
    }

    private void openAlias(TableSchema schema, String alias, ObjectNode mapping) {
        String current = aliasTarget(alias);
        if (current == null) {
            if (exists(alias)) {
                throw new SyncException(ErrorType.CONFIG, "index.alias: table '" + schema.name() + "' has an index named '" + alias
                        + "' that is not an alias; delete it or set index.alias=false");
            }
            ensureIndex(schema, alias + "-g1", mapping, alias);
        } else {
            putMapping(schema, current, mapping);
        }
    }

    /** The index an alias points to, or null when there is no such alias. */
    String aliasTarget(String alias) {
        try {
            JsonNode n = conn.json.readTree(conn.rest.performRequest(new Request("GET", "/_alias/" + alias)).getEntity().getContent());
            Iterator<String> names = n.fieldNames();
            return names.hasNext() ? names.next() : null;
        } catch (ResponseException e) {
            if (ElasticConnection.status(e) == 404) {
                return null;
            }
            throw conn.translate("reading alias '" + alias + "'", e);
        } catch (IOException e) {
            throw conn.translate("reading alias '" + alias + "'", e);
        }
    }

    private boolean exists(String index) {
        try {
            return conn.rest.performRequest(new Request("HEAD", "/" + index)).getStatusLine().getStatusCode() == 200;
        } catch (IOException e) {
            throw conn.translate("checking index '" + index + "'", e);
        }
    }

    /** Creates the index with its mapping, or adds the schema's fields to an existing one. */
    void ensureIndex(TableSchema schema, String index, ObjectNode mapping, String alias) {
        ObjectNode body = conn.json.createObjectNode();
        ObjectNode idx = body.putObject("settings").putObject("index");
        idx.put("number_of_shards", settings.shards);
        idx.put("number_of_replicas", settings.replicas);
        idx.put("gc_deletes", settings.gcDeletes.toMillis() + "ms");
        if (settings.refreshInterval != null) {
            idx.put("refresh_interval", settings.refreshInterval);
        }
        body.set("mappings", mapping);
        if (alias != null) {
            body.putObject("aliases").putObject(alias).put("is_write_index", true);
        }
        Request r = new Request("PUT", "/" + index);
        r.setEntity(new NStringEntity(body.toString(), ContentType.APPLICATION_JSON));
        try {
            conn.rest.performRequest(r);
        } catch (ResponseException e) {
            String text = errorText(e);
            if (ElasticConnection.status(e) == 400 && text.contains("resource_already_exists_exception")) {
                putMapping(schema, index, mapping);
                return;
            }
            throw new SyncException(ErrorType.EXTERNAL, "table '" + schema.name() + "': cannot create index '" + index + "': " + text, e);
        } catch (IOException e) {
            throw conn.translate("table '" + schema.name() + "': creating index '" + index + "'", e);
        }
    }

    private void putMapping(TableSchema schema, String index, ObjectNode mapping) {
        ObjectNode m = mapping.deepCopy();
        // an existing index keeps its dynamic and subobjects settings; new fields are added, changed ones refused
        m.remove("subobjects");
        Request r = new Request("PUT", "/" + index + "/_mapping");
        r.setEntity(new NStringEntity(m.toString(), ContentType.APPLICATION_JSON));
        try {
            conn.rest.performRequest(r);
        } catch (ResponseException e) {
            throw new SyncException(ErrorType.EXTERNAL, "table '" + schema.name() + "': the mapping of index '" + index
                    + "' does not fit the schema: " + errorText(e), e);
        } catch (IOException e) {
            throw conn.translate("table '" + schema.name() + "': updating the mapping of '" + index + "'", e);
        }
    }

    /** Empties a table: a fresh index (behind the alias, swapped atomically, when aliases are used). */
    void recreate(TableSchema schema, String name) {
        ObjectNode mapping = Docs.mapping(conn.json, schema, settings);
        if (!settings.alias) {
            delete(name);
            ensureIndex(schema, name, mapping, null);
            return;
        }
        String old = aliasTarget(name);
        long gen = 1;
        if (old != null) {
            Matcher m = GENERATION.matcher(old);
            gen = m.find() ? Long.parseLong(m.group(1)) + 1 : 1;
        }
        String next = name + "-g" + gen;
        delete(next);
        ensureIndex(schema, next, mapping, null);
        ObjectNode body = conn.json.createObjectNode();
        ArrayNode actions = body.putArray("actions");
        if (old != null) {
            actions.addObject().putObject("remove").put("index", old).put("alias", name);
        }
        actions.addObject().putObject("add").put("index", next).put("alias", name).put("is_write_index", true);
        Request r = new Request("POST", "/_aliases");
        r.setEntity(new NStringEntity(body.toString(), ContentType.APPLICATION_JSON));
        conn.call("table '" + schema.name() + "': moving alias '" + name + "' to '" + next + "'", r);
        if (old != null) {
            delete(old);
        }
    }

    private void delete(String index) {
        try {
            conn.rest.performRequest(new Request("DELETE", "/" + index));
        } catch (ResponseException e) {
            if (ElasticConnection.status(e) != 404) {
                throw conn.translate("deleting index '" + index + "'", e);
            }
        } catch (IOException e) {
            throw conn.translate("deleting index '" + index + "'", e);
        }
    }

    static String errorText(ResponseException e) {
        try {
            return org.apache.http.util.EntityUtils.toString(e.getResponse().getEntity());
        } catch (IOException | RuntimeException x) {
            return e.getMessage();
        }
    }

    @Override
    public Optional<CheckpointStore> checkpointStore() {
        ElasticCheckpointStore s = store;
        if (s == null) {
            synchronized (this) {
                if (store == null) {
                    store = new ElasticCheckpointStore(settings, conn, false);
                }
                s = store;
            }
        }
        return Optional.of(s);
    }

    @Override
    public void close() {
        ElasticCheckpointStore s = store;
        if (s != null) {
            s.close();
        }
        conn.close();
    }
}
