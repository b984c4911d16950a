using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WaitingRoom.Operations;

namespace WaitingRoom.Assertion;

/// <summary>
/// <c>GET /_wr/.well-known/jwks.json</c>: the public keys of the admission assertion (RFC 7517).
/// Mapped only with WR_ADMISSION_HEADER=on: off, the path is an unknown /_wr/ path (404), never the backend's.
/// </summary>
internal static class JwksEndpoint
{
    public const string Path = "/_wr/.well-known/jwks.json";

    /// <summary>Verifiers may cache the set this long: new keys are listed an hour before they sign, so five minutes is safe.</summary>
    public const string CacheControl = "public, max-age=300";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        if (endpoints.ServiceProvider.GetService<AdmissionKeyRing>() is not { } ring)
        {
            return;
        }

        endpoints.MapMethods(Path, [HttpMethods.Get, HttpMethods.Head], (HttpContext context) =>
        {
            if (ring.Jwks is not { } jwks)
            {
                // Generated keys come from the store, which has not answered since start.
                context.Response.Headers.CacheControl = "no-store";
                context.Response.Headers.RetryAfter = "5";
                return Results.Text("{\"error\":\"keys-not-loaded\"}", "application/json", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            context.Response.Headers.CacheControl = CacheControl;
            return Results.Bytes(jwks, "application/json");
        }).WithMetadata(WaitingRoomEndpointMetadata.Instance);
    }
}
