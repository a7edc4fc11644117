using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.ServiceAccount;

/// <summary>
/// Upstream's serviceaccounts-controller: every active namespace has the <c>default</c> ServiceAccount, created again
/// when deleted. Requests are namespaces (cluster-scoped: the name is the namespace).
/// </summary>
public sealed partial class ServiceAccountReconciler(IKubeClient client, ISharedInformerFactory informers, ILogger<ServiceAccountReconciler> logger)
    : IReconciler<V1Namespace>
{
    /// <summary>The ServiceAccount every namespace gets.</summary>
    public const string DefaultName = "default";

    private readonly IInformer<V1Namespace> _namespaces = (informers ?? throw new ArgumentNullException(nameof(informers))).GetInformer<V1Namespace>();
    private readonly IInformer<V1ServiceAccount> _accounts = informers.GetInformer<V1ServiceAccount>();

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var ns = _namespaces.Cache.Get(null, request.Name);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null || ns.Status?.Phase == "Terminating") return ReconcileResult.Done;
        if (_accounts.Cache.Get(request.Name, DefaultName) is not null) return ReconcileResult.Done;
        try
        {
            await client.CreateAsync(new V1ServiceAccount
            {
                ApiVersion = "v1",
                Kind = "ServiceAccount",
                Metadata = new V1ObjectMeta { Name = DefaultName, NamespaceProperty = request.Name },
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogCreated(request.Name);
        }
        catch (AlreadyExistsException)
        {
        }
        catch (KubeApiException ex) when (ex is ForbiddenException or NotFoundException)
        {
            // The namespace started terminating (or vanished) meanwhile: nothing to do.
        }

        return ReconcileResult.Done;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created ServiceAccount {Namespace}/default")]
    private partial void LogCreated(string @namespace);
}
