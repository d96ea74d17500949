# entitygraph: GraphQL entity-graph server. DuckDB needs cgo, so build with gcc.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download github.com/duckdb/duckdb-go/v2 github.com/duckdb/duckdb-go-bindings/lib/linux-amd64 || true
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/gql ./cmd/gql

FROM debian:bookworm-slim
# CA roots for Azure and the TI providers; libstdc++ (DuckDB) is in the base image.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 entitygraph
COPY --from=build /out/gql /usr/local/bin/gql
USER entitygraph
EXPOSE 8080
# A non-loopback address needs an access section (see README, "Deploying for a
# team"): mount the config and pass --config /etc/entitygraph/eg.yaml, a
# workspace with --data /data. To try the demo alone on this machine:
#   docker run -p 127.0.0.1:8080:8080 entitygraph --insecure-no-auth
ENTRYPOINT ["/usr/local/bin/gql", "--listen", "0.0.0.0:8080"]
