using k8s;
using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Core.Informers;

namespace Kube.Controllers.Internal;

internal sealed class WatchSource<T>(Func<T, IEnumerable<ReconcileRequest>> map) : IWatchSource
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public IDisposable Subscribe(ISharedInformerFactory informers, string? @namespace, Action<ReconcileRequest> enqueue)
    {
        var informer = informers.GetInformer<T>(@namespace);
        return informer.AddEventHandler(new DelegateEventHandler<T>((_, obj, _) =>
        {
            foreach (var r in map(obj)) enqueue(r);
        }));
    }
}
