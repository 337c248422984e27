package dev.dbsync.cli.datagen;

import java.util.SplittableRandom;

/**
 * Derives the random stream of one row from the seed, a table salt and the row's key, so a row never depends on
 * which worker or chunk produced it.
 */
final class Seeds {

    private Seeds() {
    }

    /** A 64-bit bijective mixer (the MurmurHash3 finalizer): close inputs give unrelated outputs. */
    static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    static long rowSeed(long seed, long tableSalt, long key) {
        return mix(mix(seed ^ (tableSalt * 0x9e3779b97f4a7c15L)) + key);
    }

    static SplittableRandom rowRandom(long seed, long tableSalt, long key) {
        return new SplittableRandom(rowSeed(seed, tableSalt, key));
    }

    /** Index into cumulative weights (last element = total). */
    static int weighted(SplittableRandom random, int[] cumulative) {
        int r = random.nextInt(cumulative[cumulative.length - 1]);
        for (int i = 0; i < cumulative.length; i++) {
            if (r < cumulative[i]) {
                return i;
            }
        }
        return cumulative.length - 1;
    }
}
