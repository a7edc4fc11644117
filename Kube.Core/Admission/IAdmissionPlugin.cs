namespace Kube.Core.Admission;

/// <summary>
/// An admission plugin. The API server runs every mutating plugin, in registration order, then every
/// validating plugin. A plugin rejects a request by throwing <see cref="Client.KubeApiException"/>
/// (usually Forbidden or Invalid). The contract lives in Kube.Core so that packages which may not
/// reference Kube.ApiServer (Kube.Networking's ClusterIP allocator, for one) can still plug in.
/// </summary>
public interface IAdmissionPlugin
{
    /// <summary>The plugin's name, as upstream names it (e.g. "NamespaceLifecycle").</summary>
    string Name { get; }

    /// <summary>Mutating plugins may change <see cref="AdmissionRequest.Object"/>; validating ones must not.</summary>
    bool IsMutating { get; }

    /// <summary>Whether the plugin cares about this request; cheap, called for every request.</summary>
    bool Handles(AdmissionRequest request);

    ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken);
}
