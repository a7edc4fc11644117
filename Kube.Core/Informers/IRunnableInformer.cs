namespace Kube.Core.Informers;

/// <summary>The type-erased face of an informer that <see cref="SharedInformerFactory"/> starts and waits for.</summary>
internal interface IRunnableInformer
{
    bool HasSynced { get; }

    Task RunAsync(CancellationToken cancellationToken);

    Task WaitForSyncAsync(CancellationToken cancellationToken);
}
