# Multi-stage build: Maven with a JDK 21 builds target/herald.jar and target/libs; a JRE 21 runs it.
FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
COPY config ./config
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:21-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /app herald
WORKDIR /app
COPY --from=build /src/target/herald.jar /app/herald.jar
COPY --from=build /src/target/libs /app/libs
COPY config /app/config
USER herald
EXPOSE 8080
# Production settings: dev mode off, a secret from the environment (HERALD_JWT_SECRET) is required.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -Dherald.config=config/production.yaml"
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/observe/health/ready || exit 1
ENTRYPOINT ["java", "-jar", "/app/herald.jar"]
