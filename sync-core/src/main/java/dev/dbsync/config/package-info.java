/**
 * Declarative configuration: every setting is declared once in a {@link dev.dbsync.config.ConfigDef} with a
 * type, a default, a validator, documentation and a secret flag; {@link dev.dbsync.config.Config} holds the
 * validated values; {@link dev.dbsync.config.PipelineConfig} reads whole pipelines from YAML, JSON or
 * properties files.
 */
package dev.dbsync.config;
