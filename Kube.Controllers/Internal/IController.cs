using Kube.Core.Informers;

namespace Kube.Controllers.Internal;

/// <summary>A built controller: subscribes to informers, then runs its workers until cancelled.</summary>
internal interface IController
{
    string Name { get; }

    /// <summary>Adds the informer handlers (before the factory starts).</summary>
    void Subscribe(ISharedInformerFactory informers);

    /// <summary>Runs the workers until <paramref name="cancellationToken"/> is cancelled, then shuts the queue down.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}
