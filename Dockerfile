# Multi-stage build: Maven with a JDK 25 builds target/herald.jar and target/libs (--release 21); a JRE 25 runs it,
# the Java the tests and benchmarks run on, with the JVM options they measured (config/jvm.options).
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
COPY config ./config
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:25-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /app herald
WORKDIR /app
COPY --from=build /src/target/herald.jar /app/herald.jar
COPY --from=build /src/target/libs /app/libs
COPY config /app/config
USER herald
EXPOSE 8080
# Production settings: dev mode off, a secret from the environment (HERALD_JWT_SECRET) is required.
ENV JAVA_TOOL_OPTIONS="-Dherald.config=config/production.yaml"
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/observe/health/ready || exit 1
ENTRYPOINT ["java", "@/app/config/jvm.options", "-jar", "/app/herald.jar"]
