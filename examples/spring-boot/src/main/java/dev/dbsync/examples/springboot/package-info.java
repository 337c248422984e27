/**
 * dbsync in a Spring Boot service: the pipeline comes from the application's configuration
 * ({@link dev.dbsync.examples.springboot.DbsyncProperties}), the engine runs in continuous mode for the
 * application's lifetime, its figures are Micrometer meters, its state is a health indicator, and a scheduled
 * verification compares source and target.
 */
package dev.dbsync.examples.springboot;
