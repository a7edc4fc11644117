using k8s;
using k8s.Models;
using Kube.Core.Selectors;

namespace Kube.Core.Informers;

/// <summary>
/// Reads an informer's cache like client-go's listers: by namespace and label selector. Returned objects are the
/// cache's own; never mutate them (copy first).
/// </summary>
public sealed class Lister<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IIndexer<T> _indexer;

    public Lister(IIndexer<T> indexer)
    {
        ArgumentNullException.ThrowIfNull(indexer);
        _indexer = indexer;
    }

    public Lister(IInformer<T> informer)
        : this((informer ?? throw new ArgumentNullException(nameof(informer))).Cache)
    {
    }

    /// <summary>Every cached object the selector matches (all when it is null).</summary>
    public IReadOnlyList<T> List(LabelSelector? selector = null) => Filter(_indexer.List(), selector);

    /// <summary>The cached objects in <paramref name="namespace"/> that the selector matches.</summary>
    public IReadOnlyList<T> List(string @namespace, LabelSelector? selector = null) =>
        Filter(_indexer.ByIndex(Indexers.Namespace, @namespace), selector);

    public T? Get(string? @namespace, string name) => _indexer.Get(@namespace, name);

    private static IReadOnlyList<T> Filter(IReadOnlyList<T> items, LabelSelector? selector) =>
        selector is null || selector.IsEverything ? items : items.Where(o => selector.Matches(o.Metadata?.Labels)).ToArray();
}
