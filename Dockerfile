# syntax=docker/dockerfile:1
# entitygraph: GraphQL entity-graph server. DuckDB needs cgo, so build with gcc.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
# Modules and the build cache live in cache mounts, and every module is
# downloaded before the sources are copied: a source change neither
# downloads modules again nor rebuilds DuckDB's bindings.
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/gql ./cmd/gql

FROM debian:bookworm-slim
# CA roots for Azure and the TI providers; libstdc++ (DuckDB) is in the base image.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 entitygraph
COPY --from=build /out/gql /usr/local/bin/gql
USER entitygraph
EXPOSE 8080
ENV EG_LISTEN=0.0.0.0:8080
HEALTHCHECK --interval=15s --timeout=6s --start-period=60s --retries=3 CMD ["/usr/local/bin/gql", "healthcheck"]
# A non-loopback address needs an access section (README, "Deploying for a
# team"): mount the config and set EG_CONFIG, a workspace with EG_DATA. To
# try the demo alone on this machine:
#   docker run -p 127.0.0.1:8080:8080 entitygraph --insecure-no-auth
ENTRYPOINT ["/usr/local/bin/gql"]
