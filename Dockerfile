# The node image: the single executable that scripts/build_binary.ts writes, on Debian slim.
#   npx bun scripts/build_binary.ts && docker build -t raftbare-ts-node .
# The executable is copied as built (never rebuilt here), so build it on Linux, on the CPU the
# image is for. It links only glibc (ldd: libc, libm, libpthread, libdl), which the base image has.
FROM debian:bookworm-slim

# A system user without a shell or a home outside its data directory.
RUN groupadd --system --gid 10001 raftbare \
  && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin raftbare \
  && mkdir /data \
  && chown 10001:10001 /data \
  && chmod 700 /data

COPY dist/raftbare-ts-node /usr/local/bin/raftbare-ts-node

# Every flag also reads from its RAFT_* variable; give --id (and the tokens) per container.
ENV RAFT_LISTEN=0.0.0.0:7001 \
    RAFT_DATA_DIR=/data

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 7001

# Liveness over plain HTTP with bash's /dev/tcp (the image has no curl); it follows RAFT_LISTEN's port.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD bash -c 'exec 3<>"/dev/tcp/127.0.0.1/${RAFT_LISTEN##*:}" && printf "GET /livez HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && read -r status <&3 && [[ $status == *" 200 "* ]]'

ENTRYPOINT ["/usr/local/bin/raftbare-ts-node"]
