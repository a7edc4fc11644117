using System.Text.Json.Nodes;
using Kube.Core.Admission;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's StorageObjectInUseProtection: a new PersistentVolumeClaim gets the <c>kubernetes.io/pvc-protection</c>
/// finalizer and a new PersistentVolume <c>kubernetes.io/pv-protection</c>, so that neither goes away while in use; the
/// pvc-protection and pv-protection controllers remove them once the claim has no scheduled pod and the volume is no
/// longer Bound.
/// </summary>
public sealed class StorageObjectInUseProtectionAdmission : IAdmissionPlugin
{
    public const string PvcFinalizer = "kubernetes.io/pvc-protection";
    public const string PvFinalizer = "kubernetes.io/pv-protection";

    public string Name => "StorageObjectInUseProtection";

    public bool IsMutating => true;

    public bool Handles(AdmissionRequest request) =>
        request.Operation == AdmissionOperation.Create && request.Resource.Group == "" && request.Subresource is null
        && request.Resource.Plural is "persistentvolumeclaims" or "persistentvolumes";

    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Object is null) return ValueTask.CompletedTask;
        var finalizer = request.Resource.Plural == "persistentvolumes" ? PvFinalizer : PvcFinalizer;
        if (request.Object["metadata"] is not JsonObject metadata) request.Object["metadata"] = metadata = new JsonObject();
        var finalizers = metadata["finalizers"] as JsonArray ?? [];
        if (!finalizers.Any(f => f?.GetValue<string>() == finalizer)) finalizers.Add(finalizer);
        metadata["finalizers"] = finalizers;
        return ValueTask.CompletedTask;
    }
}
