using WaitingRoom.Admission;
using Yarp.ReverseProxy.Transforms;

namespace WaitingRoom.Assertion;

/// <summary>
/// On every forwarded request: removes any <c>WR-Admission</c> the client sent (also with the feature
/// off, so a client can never hand the origin an assertion of its own), and with WR_ADMISSION_HEADER=on
/// adds the room's signed one when the store admitted the request. Bypassed requests (paths, header)
/// and requests forwarded unchecked while the store is down (WR_FAILURE_MODE=open) carry none.
/// </summary>
internal sealed class AdmissionAssertionTransform(AdmissionAssertions? assertions) : RequestTransform
{
    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var headers = context.ProxyRequest.Headers;
        headers.Remove(AdmissionAssertions.HeaderName);
        if (assertions is not null
            && context.HttpContext.Features.Get<WaitingRoomRequestFeature>() is { Admission: { } admission, Policy: { } policy, VisitorId: { } visitorId }
            && assertions.For(policy, visitorId, admission.AdmittedAt) is { } assertion)
        {
            headers.TryAddWithoutValidation(AdmissionAssertions.HeaderName, assertion);
        }

        return ValueTask.CompletedTask;
    }
}
