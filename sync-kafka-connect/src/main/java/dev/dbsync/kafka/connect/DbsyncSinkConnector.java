package dev.dbsync.kafka.connect;

import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.SyncException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Any dbsync sink as a Kafka Connect sink connector, fed with Debezium change events (from dbsync's source
 * connector, dbsync's Kafka sink, or Debezium itself). {@code dbsync.connector} names the sink; its settings are
 * the keys {@code <name>.<setting>}. Topics {@code <prefix>.<schema>.<table>} go to the target table
 * {@code <table>} (or {@code <schema>.<table>} with {@code dbsync.target.keep.schema=true}).
 * <p>Lifecycle (called by the Connect worker): {@link #validate} → {@link #start} → {@link #taskConfigs} →
 * {@link #stop}.
 */
public final class DbsyncSinkConnector extends SinkConnector {

    private Map<String, String> props;

    @Override
    public String version() {
        return "0.1.0";
    }

    @Override
    public void start(Map<String, String> props) {
        this.props = Map.copyOf(props);
        String name = props.get(AdapterConfig.CONNECTOR);
        try {
            SinkFactory f = AdapterConfig.sinkFactory(name);
            f.configDef().parse(AdapterConfig.settings(name, props));
        } catch (SyncException e) {
            throw new ConnectException(e.getMessage(), e);
        }
    }

    @Override
    public Class<? extends Task> taskClass() {
        return DbsyncSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) {
            out.add(props);
        }
        return out;
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return AdapterConfig.sinkDef();
    }

    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        return AdapterConfig.validateConnector(super.validate(connectorConfigs), connectorConfigs,
                n -> AdapterConfig.sinkFactory(n).configDef());
    }
}
