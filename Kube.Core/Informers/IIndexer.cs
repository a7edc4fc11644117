using k8s;
using k8s.Models;

namespace Kube.Core.Informers;

/// <summary>
/// A thread-safe cache of objects keyed by "namespace/name" (or "name" for cluster-scoped objects),
/// with secondary indexes. The namespace index (<see cref="Indexers.Namespace"/>) is always present.
/// Returned objects are shared: never mutate them; copy first.
/// </summary>
public interface IIndexer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    T? Get(string key);
    T? Get(string? @namespace, string name);
    IReadOnlyList<T> List();
    IReadOnlyList<string> ListKeys();
    /// <summary>The objects whose index function returns <paramref name="value"/> for the named index.</summary>
    IReadOnlyList<T> ByIndex(string indexName, string value);
    /// <summary>Adds an index; must be called before the informer starts.</summary>
    void AddIndexer(string indexName, Func<T, IEnumerable<string>> indexFunc);
}
