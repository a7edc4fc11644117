using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kube.Controllers.BuiltIn.ServiceAccount;

/// <summary>
/// Upstream's root-ca-cert-publisher: every active namespace has the <c>kube-root-ca.crt</c> ConfigMap whose
/// <c>ca.crt</c> is <see cref="ControllerManagerOptions.RootCaBundle"/>; it is created again when deleted and restored
/// when changed. Without a bundle the controller does nothing. Requests are namespaces.
/// </summary>
public sealed partial class RootCaPublisherReconciler(IKubeClient client, ISharedInformerFactory informers, IOptions<ControllerManagerOptions> options,
    ILogger<RootCaPublisherReconciler> logger) : IReconciler<V1Namespace>
{
    /// <summary>The ConfigMap's name.</summary>
    public const string ConfigMapName = "kube-root-ca.crt";

    /// <summary>The key holding the PEM bundle.</summary>
    public const string DataKey = "ca.crt";

    private const string DescriptionAnnotation = "kubernetes.io/description";

    private const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the "
        + "internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    private readonly IInformer<V1Namespace> _namespaces = (informers ?? throw new ArgumentNullException(nameof(informers))).GetInformer<V1Namespace>();
    private readonly IInformer<V1ConfigMap> _configMaps = informers.GetInformer<V1ConfigMap>();
    private readonly string? _bundle = (options ?? throw new ArgumentNullException(nameof(options))).Value.RootCaBundle;

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(_bundle)) return ReconcileResult.Done;
        var ns = _namespaces.Cache.Get(null, request.Name);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null || ns.Status?.Phase == "Terminating") return ReconcileResult.Done;
        var existing = _configMaps.Cache.Get(request.Name, ConfigMapName);
        try
        {
            if (existing is null)
            {
                await client.CreateAsync(new V1ConfigMap
                {
                    ApiVersion = "v1",
                    Kind = "ConfigMap",
                    Metadata = new V1ObjectMeta
                    {
                        Name = ConfigMapName,
                        NamespaceProperty = request.Name,
                        Annotations = new Dictionary<string, string> { [DescriptionAnnotation] = Description },
                    },
                    Data = new Dictionary<string, string> { [DataKey] = _bundle },
                }, cancellationToken: cancellationToken).ConfigureAwait(false);
                LogPublished(request.Name);
            }
            else if (existing.Data is null || existing.Data.Count != 1 || !existing.Data.TryGetValue(DataKey, out var pem) || pem != _bundle
                     || existing.Metadata.Annotations?.TryGetValue(DescriptionAnnotation, out var d) != true || d != Description)
            {
                var copy = ObjectCopy.Clone(existing);
                copy.Data = new Dictionary<string, string> { [DataKey] = _bundle };
                copy.Metadata.Annotations ??= new Dictionary<string, string>();
                copy.Metadata.Annotations[DescriptionAnnotation] = Description;
                await client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
                LogPublished(request.Name);
            }
        }
        catch (AlreadyExistsException)
        {
        }
        catch (KubeApiException ex) when (ex is ForbiddenException or NotFoundException)
        {
        }

        return ReconcileResult.Done;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Published the root CA bundle to {Namespace}/kube-root-ca.crt")]
    private partial void LogPublished(string @namespace);
}
