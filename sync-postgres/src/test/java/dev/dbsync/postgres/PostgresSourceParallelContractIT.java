package dev.dbsync.postgres;

import dev.dbsync.spi.Source;
import java.time.Duration;

/**
 * The source contract with three snapshot readers and ranges of about 1 kB, so that even the suite's small tables
 * are split into several key ranges read at once from one exported snapshot.
 */
class PostgresSourceParallelContractIT extends PostgresSourceContractIT {

    @Override
    protected Source newSource() {
        PostgresSource plain = (PostgresSource) super.newSource();
        plain.close();
        return new PostgresSource(plain.connectionFactory(), new SnapshotSession.Options(3, 1_000, Duration.ofSeconds(60)));
    }
}
