package dev.dbsync.cli.datagen;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.sql.DataSource;

/**
 * Generates the people data set in PostgreSQL: {@code users} keyed by {@code uuid}, with child tables
 * {@code emails} and {@code phone_numbers} ({@code id bigint} keys, {@code user_id uuid} foreign keys).
 *
 * <p>The number of emails and of phone numbers per user follows a Zipf distribution over 1..{@code maxPerUser}
 * (default 5, exponent 1): about 80 % of users have 1 to 3. With the defaults, 10 M users give about 54 M rows.
 * Columns {@code created_at}, {@code updated_at}, {@code is_deleted} and the {@code (updated_at, id)} index are as in
 * {@link EcommerceGenerator}, and so are determinism, loading and the builder's thread-safety.
 */
public final class PeopleGenerator {

    private static final long USERS = 11;
    private static final long EMAILS = 12;
    private static final long PHONES = 13;
    private static final long START = EcommerceRows.CATALOG_START;
    private static final long END = EcommerceRows.END;
    private static final long DAY = 86_400_000_000L;
    private static final byte[][] PHONE_KINDS = {ascii("mobile"), ascii("home"), ascii("work")};
    private static final int[] PHONE_KIND_WEIGHTS = {60, 85, 100};

    private final long seed;
    private final int parallelism;
    private final boolean replaceExisting;
    private final long users;
    private final int[] zipf;
    private volatile Pools pools;

    private PeopleGenerator(Builder builder) {
        this.seed = builder.seed;
        this.parallelism = builder.parallelism;
        this.replaceExisting = builder.replaceExisting;
        this.users = builder.users;
        this.zipf = zipfWeights(builder.maxPerUser, builder.exponent);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Cumulative integer weights of 1/k^s for k = 1..max. */
    static int[] zipfWeights(int max, double exponent) {
        int[] cumulative = new int[max];
        int total = 0;
        for (int k = 1; k <= max; k++) {
            total += (int) Math.round(1_000_000 / Math.pow(k, exponent));
            cumulative[k - 1] = total;
        }
        return cumulative;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private Pools pools() {
        Pools p = pools;
        if (p == null) {
            synchronized (this) {
                if (pools == null) {
                    pools = new Pools(seed);
                }
                p = pools;
            }
        }
        return p;
    }

    /** Creates and fills the tables in the database of {@code dataSource}. */
    public GenerationReport generate(DataSource dataSource) throws SQLException {
        return generate(ConnectionSource.of(dataSource));
    }

    /** Creates and fills the tables in the database of {@code jdbcUrl}. */
    public GenerationReport generate(String jdbcUrl, String user, String password) throws SQLException {
        return generate(ConnectionSource.of(jdbcUrl, user, password));
    }

    public GenerationReport generate(ConnectionSource source) throws SQLException {
        return run(requireNonNull(source, "source is null"));
    }

    /** Generates every row and discards it: measures the generator without a database. */
    public GenerationReport dryRun() throws SQLException {
        return run(null);
    }

    /** The user's stream; its first draws are the email count and the phone count. */
    private SplittableRandom user(long ordinal) {
        return Seeds.rowRandom(seed, USERS, ordinal);
    }

    private int emailsOf(SplittableRandom r) {
        return 1 + Seeds.weighted(r, zipf);
    }

    /** A user's identity, recomputed wherever a child row needs it. */
    private static final class User {
        int emails;
        int phones;
        long uuidHigh;
        long uuidLow;
        Pools.Country country;
        int first;
        int last;
        long created;
        SplittableRandom random;
    }

    private void user(long ordinal, User u, Pools p) {
        SplittableRandom r = user(ordinal);
        u.emails = emailsOf(r);
        u.phones = emailsOf(r);
        u.uuidHigh = (r.nextLong() & ~0xF000L) | 0x4000L;
        u.uuidLow = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        u.country = p.country(r);
        u.first = r.nextInt(u.country.firstNames.length);
        u.last = r.nextInt(u.country.lastNames.length);
        long span = END - START;
        u.created = START + (long) ((double) (ordinal - 1) / users * span) + r.nextLong(Math.max(1, span / users));
        u.random = r;
    }

    private GenerationReport run(ConnectionSource source) throws SQLException {
        Pools p = pools();
        long size = CopyLoader.chunkSize(users, parallelism) / 2;
        List<CopyLoader.ChunkWriter> userChunks = new ArrayList<>();
        List<CopyLoader.ChunkWriter> emailChunks = new ArrayList<>();
        List<CopyLoader.ChunkWriter> phoneChunks = new ArrayList<>();
        long nextEmail = 1;
        long nextPhone = 1;
        for (long from = 1; from <= users; from += size) {
            long first = from;
            long last = Math.min(users, from + size - 1);
            long firstEmail = nextEmail;
            long firstPhone = nextPhone;
            for (long n = first; n <= last; n++) {
                SplittableRandom r = user(n);
                nextEmail += emailsOf(r);
                nextPhone += emailsOf(r);
            }
            userChunks.add(out -> {
                User u = new User();
                for (long n = first; n <= last; n++) {
                    user(n, u, p);
                    SplittableRandom r = u.random;
                    out.uuid(u.uuidHigh, u.uuidLow);
                    out.column().raw(u.country.firstSlugs[u.first]).rawChar('_').raw(u.country.lastSlugs[u.last])
                            .rawChar('_').rawBase36(n, 1);
                    out.bytes(u.country.firstNames[u.first]).bytes(u.country.lastNames[u.last]);
                    out.date(LocalDate.of(1940, 1, 1).toEpochDay() + r.nextInt(66 * 365)).bytes(u.country.code);
                    out.timestamp(u.created).timestamp(u.created).bool(false);
                    out.endRow();
                }
                return last - first + 1;
            });
            emailChunks.add(out -> {
                User u = new User();
                long id = firstEmail;
                for (long n = first; n <= last; n++) {
                    user(n, u, p);
                    for (int k = 1; k <= u.emails; k++) {
                        SplittableRandom r = Seeds.rowRandom(seed, EMAILS, n * 8 + k);
                        long created = Math.min(END - 1, u.created + (k - 1) * r.nextLong(1, 200 * DAY));
                        out.number(id++).uuid(u.uuidHigh, u.uuidLow);
                        out.column().raw(u.country.firstSlugs[u.first]).rawChar('.').raw(u.country.lastSlugs[u.last]);
                        if (k > 1) {
                            out.rawLong(k);
                        }
                        out.rawChar('.').rawBase36(n, 1).rawChar('@').raw(Pools.pick(r, p.emailDomains));
                        out.bool(k == 1).bool(r.nextInt(10) < 8);
                        out.timestamp(created).timestamp(created).bool(false);
                        out.endRow();
                    }
                }
                return id - firstEmail;
            });
            phoneChunks.add(out -> {
                User u = new User();
                long id = firstPhone;
                for (long n = first; n <= last; n++) {
                    user(n, u, p);
                    for (int k = 1; k <= u.phones; k++) {
                        SplittableRandom r = Seeds.rowRandom(seed, PHONES, n * 8 + k);
                        long created = Math.min(END - 1, u.created + (k - 1) * r.nextLong(1, 200 * DAY));
                        out.number(id++).uuid(u.uuidHigh, u.uuidLow);
                        EcommerceRows.phone(out.column(), r, u.country.phonePrefix);
                        out.bytes(PHONE_KINDS[Seeds.weighted(r, PHONE_KIND_WEIGHTS)]).bool(k == 1);
                        out.timestamp(created).timestamp(created).bool(false);
                        out.endRow();
                    }
                }
                return id - firstPhone;
            });
        }
        try (CopyLoader loader = new CopyLoader(source, parallelism)) {
            loader.execute(List.of(createTables(replaceExisting)));
            List<GenerationReport.TableReport> reports = new ArrayList<>();
            long loadStart = System.nanoTime();
            reports.add(loader.load(new CopyLoader.TableLoad("users",
                    "id, username, first_name, last_name, birth_date, country_code, created_at, updated_at, is_deleted",
                    userChunks)));
            reports.add(loader.load(new CopyLoader.TableLoad("emails",
                    "id, user_id, address, is_primary, is_verified, created_at, updated_at, is_deleted", emailChunks)));
            reports.add(loader.load(new CopyLoader.TableLoad("phone_numbers",
                    "id, user_id, number, kind, is_primary, created_at, updated_at, is_deleted", phoneChunks)));
            Duration loadTime = Duration.ofNanos(System.nanoTime() - loadStart);
            long indexStart = System.nanoTime();
            loader.execute(List.of(
                    List.of("ALTER TABLE users ADD PRIMARY KEY (id)",
                            "CREATE UNIQUE INDEX users_username_idx ON users (username)",
                            "CREATE INDEX users_updated_at_id_idx ON users (updated_at, id)"),
                    List.of("ALTER TABLE emails ADD PRIMARY KEY (id)",
                            "CREATE INDEX emails_user_id_idx ON emails (user_id)",
                            "CREATE INDEX emails_updated_at_id_idx ON emails (updated_at, id)"),
                    List.of("ALTER TABLE phone_numbers ADD PRIMARY KEY (id)",
                            "CREATE INDEX phone_numbers_user_id_idx ON phone_numbers (user_id)",
                            "CREATE INDEX phone_numbers_updated_at_id_idx ON phone_numbers (updated_at, id)")));
            loader.execute(List.of(
                    List.of("ALTER TABLE emails ADD CONSTRAINT emails_user_id_fk "
                            + "FOREIGN KEY (user_id) REFERENCES users (id)", "ANALYZE emails"),
                    List.of("ALTER TABLE phone_numbers ADD CONSTRAINT phone_numbers_user_id_fk "
                            + "FOREIGN KEY (user_id) REFERENCES users (id)", "ANALYZE phone_numbers", "ANALYZE users")));
            Duration indexTime = loader.dryRun() ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - indexStart);
            return new GenerationReport(reports, loadTime, indexTime, parallelism, !loader.dryRun());
        }
    }

    private static final String COMMON = "created_at timestamptz not null default now(), "
            + "updated_at timestamptz not null default now(), is_deleted boolean not null default false";

    static List<String> createTables(boolean replaceExisting) {
        List<String> ddl = new ArrayList<>();
        if (replaceExisting) {
            ddl.add("DROP TABLE IF EXISTS phone_numbers, emails, users CASCADE");
        }
        ddl.add("CREATE TABLE users (id uuid not null, username text not null, first_name text not null, "
                + "last_name text not null, birth_date date, country_code char(2) not null, " + COMMON + ")");
        ddl.add("CREATE TABLE emails (id bigint not null, user_id uuid not null, address text not null, "
                + "is_primary boolean not null, is_verified boolean not null, " + COMMON + ")");
        ddl.add("CREATE TABLE phone_numbers (id bigint not null, user_id uuid not null, number text not null, "
                + "kind text not null, is_primary boolean not null, " + COMMON + ")");
        return ddl;
    }

    /** Configures a {@link PeopleGenerator}. Defaults: 100,000 users, seed 42, parallelism = processors. */
    public static final class Builder {
        private long seed = 42;
        private int parallelism = Runtime.getRuntime().availableProcessors();
        private boolean replaceExisting;
        private long users = 100_000;
        private int maxPerUser = 5;
        private double exponent = 1.0;

        private Builder() {
        }

        public Builder users(long users) {
            if (users < 1) {
                throw new IllegalArgumentException("users must be at least 1, got " + users);
            }
            this.users = users;
            return this;
        }

        /** Alias of {@link #users(long)}. */
        public Builder scale(long users) {
            return users(users);
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder parallelism(int parallelism) {
            if (parallelism < 1) {
                throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
            }
            this.parallelism = parallelism;
            return this;
        }

        /** Most emails (and phone numbers) one user can have, 1 to 7; default 5. */
        public Builder maxPerUser(int maxPerUser) {
            if (maxPerUser < 1 || maxPerUser > 7) {
                throw new IllegalArgumentException("maxPerUser must be 1..7, got " + maxPerUser);
            }
            this.maxPerUser = maxPerUser;
            return this;
        }

        /** Zipf exponent of the per-user counts; larger means more users with a single one. Default 1.0. */
        public Builder zipfExponent(double exponent) {
            if (!(exponent > 0)) {
                throw new IllegalArgumentException("zipfExponent must be positive, got " + exponent);
            }
            this.exponent = exponent;
            return this;
        }

        public Builder replaceExisting(boolean replaceExisting) {
            this.replaceExisting = replaceExisting;
            return this;
        }

        public PeopleGenerator build() {
            return new PeopleGenerator(this);
        }
    }
}
