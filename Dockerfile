# KVIS in a container: the compiled single binary on a small glibc base (the Bun-compiled
# executable links against glibc, so Alpine/musl images will not run it).
# Build the binary first:  bun install && bun run build
# Then:                    docker build -t kvis . && docker run -p 6379:6379 -v kvis-data:/data kvis
FROM debian:bookworm-slim
COPY kvis /usr/local/bin/kvis
WORKDIR /data
VOLUME /data
EXPOSE 6379
# Listen on all interfaces inside the container; publish the port to choose who can reach it.
ENTRYPOINT ["/usr/local/bin/kvis", "--bind", "0.0.0.0", "--dir", "/data"]
