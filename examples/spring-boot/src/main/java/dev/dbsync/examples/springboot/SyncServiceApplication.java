package dev.dbsync.examples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The service: {@code java -jar example-spring-boot.jar} with the pipeline in {@code application.yaml}. */
@SpringBootApplication
@EnableScheduling
@EnableConfigurationProperties(DbsyncProperties.class)
public class SyncServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(SyncServiceApplication.class, args);
    }
}
