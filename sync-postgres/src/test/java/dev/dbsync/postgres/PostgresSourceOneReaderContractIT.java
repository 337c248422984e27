package dev.dbsync.postgres;

import dev.dbsync.spi.Source;
import java.time.Duration;

/** The source contract with one snapshot reader (setting {@code snapshot.readers=1}): a table is one COPY. */
class PostgresSourceOneReaderContractIT extends PostgresSourceContractIT {

    @Override
    protected Source newSource() {
        PostgresSource plain = (PostgresSource) super.newSource();
        plain.close();
        return new PostgresSource(plain.connectionFactory(), new SnapshotSession.Options(1, 1_000, Duration.ofSeconds(60)));
    }
}
