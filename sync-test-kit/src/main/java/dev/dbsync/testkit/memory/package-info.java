/** In-memory reference connectors: the engine's and the contract suites' own tests run against them. */
package dev.dbsync.testkit.memory;
