using Kube.Core.Informers;
using Microsoft.Extensions.Hosting;

namespace Kube.Core.Hosting;

/// <summary>Starts the registered <see cref="ISharedInformerFactory"/> with the host and stops its informers on shutdown.</summary>
internal sealed class SharedInformerFactoryHostedService(ISharedInformerFactory factory) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        factory.Start(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (factory is SharedInformerFactory f)
        {
            try
            {
                await f.WhenStoppedAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // the host's shutdown timeout passed; informers stop on their own shortly
            }
        }
    }

    public void Dispose() => _stopping.Dispose();
}
