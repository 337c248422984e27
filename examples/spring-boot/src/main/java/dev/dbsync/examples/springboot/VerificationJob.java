package dev.dbsync.examples.springboot;

import dev.dbsync.engine.Connectors;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.verify.TableVerification;
import dev.dbsync.verify.Verifier;
import dev.dbsync.verify.VerifyReport;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Compares source and target on a schedule ({@code dbsync.verify-interval}) with the library's verifier: the
 * target is read with the source connector named like the sink, through the sink's stored form. The last report
 * is shown by the health indicator, and the number of differing keys is the gauge {@code dbsync.verify.differences}.
 */
@Component
public class VerificationJob {

    private static final Logger LOG = LoggerFactory.getLogger(VerificationJob.class);

    private final DbsyncProperties properties;
    private final Connectors connectors;
    private final AtomicReference<VerifyReport> last = new AtomicReference<>();
    private final AtomicLong differences = new AtomicLong();

    public VerificationJob(DbsyncProperties properties, Connectors connectors, MeterRegistry registry) {
        this.properties = properties;
        this.connectors = connectors;
        Gauge.builder("dbsync.verify.differences", differences, AtomicLong::get)
                .description("keys that differ between source and target at the last verification")
                .tag("pipeline", properties.pipeline()).register(registry);
    }

    /** Verifies every table now; the first run waits one interval, so the first sync has run. */
    @Scheduled(initialDelayString = "${dbsync.verify-interval:1h}", fixedDelayString = "${dbsync.verify-interval:1h}")
    public VerifyReport verify() {
        String readerType = properties.sink().type();
        try (Source source = connectors.createSource(properties.source().type(),
                DbsyncConfiguration.settings(properties.source()));
             Source target = connectors.createSource(readerType,
                     Verifier.readerSettings(connectors.source(readerType), DbsyncConfiguration.settings(properties.sink())));
             Sink sink = connectors.createSink(properties.sink().type(), DbsyncConfiguration.settings(properties.sink()))) {
            Verifier.Builder builder = Verifier.builder().source(source).target(target).sink(sink);
            for (DbsyncProperties.Table t : properties.tables()) {
                builder.table(DbsyncConfiguration.tableSync(t).spec());
            }
            VerifyReport report = builder.build().run();
            last.set(report);
            differences.set(report.tables().stream().mapToLong(TableVerification::differences).sum());
            if (!report.equal()) {
                LOG.warn("dbsync verification of pipeline {} found differences:\n{}", properties.pipeline(),
                        report.toText());
            }
            return report;
        }
    }

    /** The last verification's report, or null before the first. */
    public VerifyReport lastReport() {
        return last.get();
    }
}
