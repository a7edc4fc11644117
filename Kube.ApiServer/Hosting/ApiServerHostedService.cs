using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kube.ApiServer.Hosting;

/// <summary>
/// Starts the <see cref="KubeApiServer"/> over the DI-registered store at host start (or on first use of the
/// in-process client, whichever comes first) and disposes it at stop.
/// </summary>
internal sealed class ApiServerHostedService(IOptions<ApiServerOptions> options, IServiceProvider services)
    : IHostedService, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private Task<KubeApiServer>? _starting;
    private IKubeClient? _admin;

    public Task<KubeApiServer> ServerAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_starting is null || _starting.IsFaulted || _starting.IsCanceled)
                _starting = KubeApiServer.StartAsync(options.Value, services.GetRequiredService<IKeyValueStore>(), services, CancellationToken.None);
            return _starting.WaitAsync(ct);
        }
    }

    public async Task<IKubeClient> AdminClientAsync(CancellationToken ct)
    {
        if (_admin is not null) return _admin;
        var server = await ServerAsync(ct).ConfigureAwait(false);
        return _admin = server.CreateClient(UserInfo.Admin);
    }

    public Task StartAsync(CancellationToken cancellationToken) => ServerAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task<KubeApiServer>? starting;
        lock (_gate) starting = _starting;
        if (starting is { IsCompletedSuccessfully: true }) await starting.Result.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
