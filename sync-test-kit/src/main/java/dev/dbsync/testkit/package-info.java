/**
 * Test kit used in test scope: the contract suites every connector's tests extend, crash injection, and fixtures
 * that resolve real servers (an env URL, then Testcontainers, then a server started here; never a skip).
 */
package dev.dbsync.testkit;
