using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's DefaultStorageClass: a new PersistentVolumeClaim without <c>spec.storageClassName</c> gets the
/// StorageClass annotated <c>storageclass.kubernetes.io/is-default-class: "true"</c> (the newest when several are).
/// </summary>
public sealed class DefaultStorageClassAdmission(IKubeClient client) : IAdmissionPlugin
{
    public const string DefaultAnnotation = "storageclass.kubernetes.io/is-default-class";

    public string Name => "DefaultStorageClass";

    public bool IsMutating => true;

    public bool Handles(AdmissionRequest request) =>
        request.Operation == AdmissionOperation.Create && request.Resource.Group == "" && request.Resource.Plural == "persistentvolumeclaims" && request.Subresource is null;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Object?["spec"] is not System.Text.Json.Nodes.JsonObject spec || spec["storageClassName"] is not null) return;
        var classes = (await client.ListAsync<V1StorageClass>(cancellationToken: cancellationToken).ConfigureAwait(false)).Items;
        var def = classes.Where(c => c.Metadata.Annotations?.TryGetValue(DefaultAnnotation, out var v) == true && v == "true")
            .OrderByDescending(c => c.Metadata.CreationTimestamp).ThenBy(c => c.Metadata.Name, StringComparer.Ordinal).FirstOrDefault();
        if (def is not null) spec["storageClassName"] = def.Metadata.Name;
    }
}
