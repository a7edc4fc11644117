using k8s;
using k8s.Models;
using Kube.Core.Client;

namespace Kube.Core.Informers;

/// <summary>Where a <see cref="Reflector{T}"/> delivers what it lists and watches.</summary>
internal interface IReflectorSink<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>A complete list: the cache becomes exactly these objects.</summary>
    void Replace(IReadOnlyList<T> items, string resourceVersion);

    /// <summary>One watch event (Added, Modified, Deleted or Bookmark).</summary>
    void Apply(WatchEvent<T> watchEvent);
}
