# syntax=docker/dockerfile:1
# WaitingRoom: ASP.NET Core + YARP reverse proxy with a waiting room.
#   podman build --pull=never --format docker --network host -t waitingroom .   (docker build -t waitingroom .)
#   podman run -d --network host --read-only --read-only-tmpfs=false --tmpfs /tmp -e WR_REDIS_HOST=127.0.0.1 waitingroom
# Both proven by scripts/container-test.sh (README, "Container").

# ---- build ------------------------------------------------------------------
# $BUILDPLATFORM: the output is portable IL (no RID), so cross-arch builds
# run the SDK natively instead of under emulation.
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore first, from the files that decide the package graph only, so this
# layer is reused until a package or build setting changes. The project is
# restored directly (not the .sln, whose test project is not in the context).
COPY NuGet.config Directory.Build.props Directory.Packages.props ./
COPY src/WaitingRoom/WaitingRoom.csproj src/WaitingRoom/
RUN dotnet restore src/WaitingRoom/WaitingRoom.csproj

# Then the sources and the queue page (top-level wwwroot/, linked into the
# project as content and copied to the publish output's wwwroot/).
COPY src/ src/
COPY wwwroot/ wwwroot/
# Framework-dependent and without the native launcher: the runtime image
# starts it with `dotnet WaitingRoom.dll`.
RUN dotnet publish src/WaitingRoom/WaitingRoom.csproj -c Release -o /app \
        --no-restore -p:UseAppHost=false

# ---- runtime ----------------------------------------------------------------
# The ASP.NET Core runtime only: no SDK, no compiler, much smaller.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./

# The app resolves appsettings.json and wwwroot/ from its content root; it sets
# it to its own folder anyway, this only makes it explicit.
ENV ASPNETCORE_CONTENTROOT=/app \
    WR_PORT=8080 \
    DOTNET_NOLOGO=1

# 8080 is above 1024, so the non-root user can bind it. APP_UID (the "app"
# user, uid 1654) is defined by the .NET 8+ images; a numeric uid also lets
# Kubernetes' runAsNonRoot check it.
USER $APP_UID
EXPOSE 8080

# Liveness probe. The image has no curl or wget, so bash's /dev/tcp sends a
# plain HTTP/1.0 GET to /_wr/health (a bypass path: it never queues) and checks
# the status line. Kubernetes ignores HEALTHCHECK: use /_wr/health for the
# liveness probe and /_wr/ready (store reachable) for the readiness probe.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/${WR_PORT:-8080} && printf "GET /_wr/health HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && head -n1 <&3 | grep -q " 200 "'

ENTRYPOINT ["dotnet", "WaitingRoom.dll"]
