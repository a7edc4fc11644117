using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's NamespaceLifecycle: no object is created in a namespace that does not exist (404
/// <c>namespaces "x" not found</c>) or is terminating (403); default, kube-system and kube-public may not be deleted.
/// </summary>
public sealed class NamespaceLifecycleAdmission(IKubeClient client) : IAdmissionPlugin, IUsesAdmissionLister
{
    private AdmissionLister? _lister;

    void IUsesAdmissionLister.SetLister(AdmissionLister lister) => _lister = lister;

    private static readonly HashSet<string> Protected = ["default", "kube-system", "kube-public"];

    public string Name => "NamespaceLifecycle";

    public bool IsMutating => false;

    public bool Handles(AdmissionRequest request) =>
        (request.Operation == AdmissionOperation.Create && request.Namespace is not null && request.Subresource is null)
        || (request.Operation == AdmissionOperation.Delete && request.Resource.Group == "" && request.Resource.Plural == "namespaces");

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Operation == AdmissionOperation.Delete)
        {
            if (request.Name is { } n && Protected.Contains(n))
                throw Status(403, "Forbidden", $"namespaces \"{n}\" is forbidden: this namespace may not be deleted", n, "namespaces");
            return;
        }
        var ns = request.Namespace!;
        // from the lister; one it does not hold (created through another API server a moment ago) is looked up live, as upstream does
        var found = await _lister.GetOrLiveAsync<V1Namespace>(client, ns, null, cancellationToken).ConfigureAwait(false)
            ?? throw Status(404, "NotFound", $"namespaces \"{ns}\" not found", ns, "namespaces");
        if (found.Status?.Phase == "Terminating" || found.Metadata.DeletionTimestamp is not null)
        {
            var name = request.Name ?? request.Object?["metadata"]?["name"]?.GetValue<string>() ?? "";
            throw Status(403, "Forbidden",
                $"{request.Resource.Plural} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", name, request.Resource.Plural);
        }
    }

    private static KubeApiException Status(int code, string reason, string message, string name, string kind) => new(new V1Status
    {
        ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = code, Reason = reason, Message = message,
        Details = new V1StatusDetails { Name = name, Kind = kind },
    });
}
