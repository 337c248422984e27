package dev.dbsync.cli.datagen;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import net.datafaker.Faker;

/**
 * Realistic values made once by datafaker from the seed, already encoded for COPY, so that rows only pick from
 * arrays. Immutable after construction and shared by all workers.
 */
final class Pools {

    /** Names, addresses and phone prefix of one country. */
    static final class Country {
        final byte[] code;
        final String phonePrefix;
        final byte[][] firstNames;
        final byte[][] lastNames;
        final byte[][] firstSlugs;
        final byte[][] lastSlugs;
        final byte[][] streets;
        final byte[][] cities;
        final byte[][] postalCodes;

        Country(String code, String phonePrefix, byte[][] firstNames, byte[][] lastNames, byte[][] firstSlugs,
                byte[][] lastSlugs, byte[][] streets, byte[][] cities, byte[][] postalCodes) {
            this.code = CopyRowWriter.encode(code);
            this.phonePrefix = phonePrefix;
            this.firstNames = firstNames;
            this.lastNames = lastNames;
            this.firstSlugs = firstSlugs;
            this.lastSlugs = lastSlugs;
            this.streets = streets;
            this.cities = cities;
            this.postalCodes = postalCodes;
        }
    }

    private static final int NAMES = 400;
    private static final int ADDRESSES = 1000;

    final Country[] countries;
    /** Cumulative weights of {@link #countries}. */
    final int[] countryWeights = {50, 70, 85, 100};
    final byte[][] emailDomains;
    final byte[][] productNames;
    final byte[][] descriptions;
    final byte[][] departments;
    final byte[][] departmentSlugs;
    /** JSON string literals (quoted), COPY-encoded. */
    final byte[][] jsonColors;
    final byte[][] jsonMaterials;
    final byte[][] jsonBrands;
    final byte[][] jsonTags;

    Pools(long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        countries = new Country[] {
            country(Locale.US, "US", "+1", seeds.nextLong()),
            country(Locale.UK, "GB", "+44", seeds.nextLong()),
            country(Locale.GERMANY, "DE", "+49", seeds.nextLong()),
            country(Locale.FRANCE, "FR", "+33", seeds.nextLong()),
        };
        Faker faker = new Faker(Locale.US, new Random(seeds.nextLong()));
        emailDomains = encodeAll(distinct(60, () -> faker.internet().domainName().toLowerCase(Locale.ROOT)));
        productNames = encodeAll(distinct(2000, () -> faker.commerce().productName()));
        descriptions = encodeAll(distinct(500, () -> faker.lorem().sentence(12)));
        List<String> departmentNames = distinct(300, () -> faker.commerce().department());
        departments = encodeAll(departmentNames);
        departmentSlugs = slugs(departmentNames);
        jsonColors = jsonAll(distinct(30, () -> faker.color().name()));
        jsonMaterials = jsonAll(distinct(40, () -> faker.commerce().material()));
        jsonBrands = jsonAll(distinct(200, () -> faker.commerce().brand()));
        jsonTags = jsonAll(distinct(100, () -> faker.lorem().word()));
    }

    private static Country country(Locale locale, String code, String phonePrefix, long seed) {
        Faker faker = new Faker(locale, new Random(seed));
        List<String> first = distinct(NAMES, () -> faker.name().firstName());
        List<String> last = distinct(NAMES, () -> faker.name().lastName());
        byte[][] streets = new byte[ADDRESSES][];
        byte[][] cities = new byte[ADDRESSES][];
        byte[][] postal = new byte[ADDRESSES][];
        for (int i = 0; i < ADDRESSES; i++) {
            streets[i] = CopyRowWriter.encode(faker.address().streetAddress());
            cities[i] = CopyRowWriter.encode(faker.address().city());
            postal[i] = CopyRowWriter.encode(faker.address().zipCode());
        }
        return new Country(code, phonePrefix, encodeAll(first), encodeAll(last), slugs(first), slugs(last),
                streets, cities, postal);
    }

    /**
     * Up to {@code size} distinct values; stops early when the source runs out of new ones, so small
     * dictionaries (colours, departments) don't loop forever.
     */
    private static List<String> distinct(int size, Supplier<String> source) {
        Set<String> values = new LinkedHashSet<>();
        int misses = 0;
        while (values.size() < size && misses < size * 4 + 100) {
            String value = source.get();
            if (value == null || value.isBlank() || !values.add(value.strip())) {
                misses++;
            }
        }
        return new ArrayList<>(values);
    }

    private static byte[][] encodeAll(List<String> values) {
        byte[][] encoded = new byte[values.size()][];
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = CopyRowWriter.encode(values.get(i));
        }
        return encoded;
    }

    private static byte[][] jsonAll(List<String> values) {
        byte[][] encoded = new byte[values.size()][];
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = CopyRowWriter.encode(jsonString(values.get(i)));
        }
        return encoded;
    }

    static String jsonString(String value) {
        StringBuilder json = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        return json.append('"').toString();
    }

    /** Lower-case ASCII letters and digits only: accents dropped, everything else removed. */
    static String slug(String value) {
        String plain = Normalizer.normalize(value, Normalizer.Form.NFD).replaceAll("\\p{M}", "");
        String slug = plain.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        return slug.isEmpty() ? "x" : slug;
    }

    private static byte[][] slugs(List<String> values) {
        byte[][] encoded = new byte[values.size()][];
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = CopyRowWriter.encode(slug(values.get(i)));
        }
        return encoded;
    }

    static byte[] pick(SplittableRandom random, byte[][] pool) {
        return pool[random.nextInt(pool.length)];
    }

    Country country(SplittableRandom random) {
        return countries[Seeds.weighted(random, countryWeights)];
    }
}
