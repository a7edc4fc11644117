using System.Security.Cryptography.X509Certificates;
using Kube.ApiServer.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>
/// Waits until the API server answers <c>/readyz</c> over HTTPS (checking its certificate against the cluster CA),
/// writes the admin kubeconfig, and prints the one line scripts wait for: <c>kube-host ready: KUBECONFIG=&lt;absolute path&gt;</c>.
/// </summary>
internal sealed class ReadyAnnouncer(AllInOneOptions options, ClusterPki pki, ILogger<ReadyAnnouncer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var server = new Uri($"https://127.0.0.1:{options.ApiPort}/");
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && ClusterPki.ChainsTo(cert, pki.CertificateAuthority) };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = TimeProvider.System.GetUtcNow().AddMinutes(2);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var resp = await http.GetAsync(new Uri(server, "readyz"), stoppingToken);
                if (resp.IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!stoppingToken.IsCancellationRequested) { }
            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                logger.LogError("The API server did not become ready at {Server} within 2 minutes", server);
                return;
            }
            await Task.Delay(100, stoppingToken);
        }
        var stale = Path.Combine(options.DataDir, "admin-token");
        if (File.Exists(stale)) File.Delete(stale); // the unchecked bearer token of earlier versions
        var path = Kubeconfig.Write(options.DataDir, server, pki);
        Console.Out.WriteLine($"kube-host ready: KUBECONFIG={path}");
        Console.Out.Flush();
    }
}
