using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>
/// Waits until the API server answers <c>/readyz</c>, writes the admin kubeconfig, and prints the one line
/// scripts wait for: <c>kube-host ready: KUBECONFIG=&lt;absolute path&gt;</c>.
/// </summary>
internal sealed class ReadyAnnouncer(AllInOneOptions options, ILogger<ReadyAnnouncer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var server = new Uri($"http://127.0.0.1:{options.ApiPort}/");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var resp = await http.GetAsync(new Uri(server, "readyz"), stoppingToken);
                if (resp.IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!stoppingToken.IsCancellationRequested) { }
            if (DateTimeOffset.UtcNow > deadline)
            {
                logger.LogError("The API server did not become ready at {Server} within 2 minutes", server);
                return;
            }
            await Task.Delay(100, stoppingToken);
        }
        var path = await Kubeconfig.WriteAsync(options.DataDir, server, stoppingToken);
        Console.Out.WriteLine($"kube-host ready: KUBECONFIG={path}");
        Console.Out.Flush();
    }
}
