using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>
/// Makes sure every active namespace has its <c>default</c> ServiceAccount (which the ServiceAccount admission plugin
/// requires before a pod is admitted), as upstream's serviceaccount controller does: a list, then a watch of
/// namespaces, and an idempotent create for each. Runs in the controller manager under its identity. A stopgap until
/// Kube.Controllers ships that controller; running both is harmless (creates are idempotent).
/// </summary>
internal sealed class DefaultServiceAccounts(IKubeClient client, TimeProvider time, ILogger<DefaultServiceAccounts> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var list = await client.ListAsync<V1Namespace>(cancellationToken: stoppingToken).ConfigureAwait(false);
                foreach (var ns in list.Items) await EnsureAsync(ns, stoppingToken).ConfigureAwait(false);
                var options = new ListOptions { ResourceVersion = list.ResourceVersion };
                await foreach (var e in client.WatchAsync<V1Namespace>(options: options, cancellationToken: stoppingToken).ConfigureAwait(false))
                {
                    if (e.Type is WatchEventType.Added or WatchEventType.Modified && e.Object is { } ns) await EnsureAsync(ns, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is KubeApiException or InvalidOperationException or IOException)
            {
                logger.LogDebug(e, "Namespace watch for default ServiceAccounts ended; listing again");
            }
            await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task EnsureAsync(V1Namespace ns, CancellationToken ct)
    {
        if (ns.Status?.Phase == "Terminating" || ns.Metadata.DeletionTimestamp is not null) return;
        try
        {
            await client.CreateAsync(new V1ServiceAccount
            {
                ApiVersion = "v1",
                Kind = "ServiceAccount",
                Metadata = new V1ObjectMeta { Name = "default", NamespaceProperty = ns.Metadata.Name },
            }, cancellationToken: ct).ConfigureAwait(false);
            logger.LogInformation("Created ServiceAccount {Namespace}/default", ns.Metadata.Name);
        }
        catch (AlreadyExistsException)
        {
        }
        catch (ForbiddenException e)
        {
            // a namespace that is terminating by now
            logger.LogDebug(e, "ServiceAccount {Namespace}/default not created", ns.Metadata.Name);
        }
    }
}
