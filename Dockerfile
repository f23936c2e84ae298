# dualpower in a container: a static binary on distroless, run as nonroot.
#
#   docker build -t dualpower --build-arg VERSION="$(git describe --always --dirty)" .
#   docker run -d --name dualpower \
#     -v "$PWD/config.yaml:/config/config.yaml:ro" -v dualpower-data:/data \
#     -p 127.0.0.1:8080:8080 dualpower
#
# compose.yaml beside this file does the same with secrets and a restart
# policy. In the container, config.yaml wants:
#   data_dir: /data            # the volume; the default ./data would be /config/data
#   http: {listen: ":8080"}    # the default 127.0.0.1:8080 is unreachable from outside
# The HEALTHCHECK asks /healthz at http.listen, so leave http.listen on.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# The modules in a layer of their own: it is rebuilt only when go.mod or
# go.sum change, not on every edit of the code.
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/dualpower ./cmd/dualpower
# The data directory, to be owned by nonroot in the image: a new named
# volume mounted on /data copies its owner, so the daemon can write there.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dualpower /dualpower
COPY --from=build --chown=65532:65532 /out/data /data
ENV DUALPOWER_CONFIG=/config/config.yaml
VOLUME /data
EXPOSE 8080
USER nonroot
# No curl in the image: the binary asks its own /healthz. It exits 0 or 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/dualpower", "healthcheck"]
ENTRYPOINT ["/dualpower"]
CMD ["run"]
