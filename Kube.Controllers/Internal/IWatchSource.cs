using Kube.Controllers.Runtime;
using Kube.Core.Informers;

namespace Kube.Controllers.Internal;

/// <summary>A secondary watch of a controller: an informer whose notifications map to requests.</summary>
internal interface IWatchSource
{
    /// <summary>Subscribes to the informer; the returned registration unsubscribes.</summary>
    IDisposable Subscribe(ISharedInformerFactory informers, string? @namespace, Action<ReconcileRequest> enqueue);
}
