using k8s;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Core.Informers;

namespace Kube.Controllers.Runtime;

/// <summary>
/// Describes one controller whose primary kind is <typeparamref name="T"/> (controller-runtime's <c>For</c>):
/// which other kinds it owns or watches, which events it ignores, and how many workers it runs.
/// The configure callback given to <c>AddController</c> runs when the manager starts, so it may use <see cref="Services"/>.
/// </summary>
public sealed class ControllerBuilder<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly List<IWatchSource> _sources = [];
    private readonly List<Func<ControllerEvent<T>, bool>> _predicates = [];

    internal ControllerBuilder(string name, IServiceProvider services)
    {
        Name = name;
        Services = services;
    }

    /// <summary>The controller's name (used in logs and work-queue metrics). Defaults to the reconciler's type name.</summary>
    public string Name { get; private set; }

    /// <summary>The application's services, for configure callbacks that need them.</summary>
    public IServiceProvider Services { get; }

    /// <summary>How many reconciles run at once (never two for the same request). Default 1.</summary>
    public int MaxConcurrentReconciles { get; private set; } = 1;

    /// <summary>Only objects in this namespace are watched; null (the default) watches all namespaces.</summary>
    public string? Namespace { get; private set; }

    internal IReadOnlyList<IWatchSource> Sources => _sources;

    internal IReadOnlyList<Func<ControllerEvent<T>, bool>> EventPredicates => _predicates;

    /// <summary>Renames the controller.</summary>
    public ControllerBuilder<T> Named(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        return this;
    }

    /// <summary>Restricts the controller's watches to one namespace.</summary>
    public ControllerBuilder<T> InNamespace(string? @namespace)
    {
        Namespace = string.IsNullOrEmpty(@namespace) ? null : @namespace;
        return this;
    }

    /// <summary>Sets how many reconciles may run at once (default 1).</summary>
    public ControllerBuilder<T> WithMaxConcurrentReconciles(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        MaxConcurrentReconciles = count;
        return this;
    }

    /// <summary>Filters notifications about the primary kind; an event is queued only when every predicate passes.</summary>
    public ControllerBuilder<T> WithPredicate(Func<ControllerEvent<T>, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        _predicates.Add(predicate);
        return this;
    }

    /// <summary>
    /// Watches <typeparamref name="TChild"/> objects and queues their controller owner: the ownerReference with
    /// <c>controller: true</c> whose kind is <typeparamref name="T"/>.
    /// </summary>
    public ControllerBuilder<T> Owns<TChild>()
        where TChild : class, IKubernetesObject<V1ObjectMeta>
    {
        var (group, kind) = KindInfo.Of<T>();
        _sources.Add(new WatchSource<TChild>(child => OwnerRequests(child, group, kind)));
        return this;
    }

    /// <summary>Watches <typeparamref name="TOther"/> objects and queues the requests <paramref name="map"/> returns for each notification.</summary>
    public ControllerBuilder<T> Watches<TOther>(Func<TOther, IEnumerable<ReconcileRequest>> map)
        where TOther : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(map);
        _sources.Add(new WatchSource<TOther>(map));
        return this;
    }

    private static IEnumerable<ReconcileRequest> OwnerRequests(IKubernetesObject<V1ObjectMeta> child, string group, string kind)
    {
        var owner = child.Metadata?.OwnerReferences?.FirstOrDefault(r => r.Controller == true);
        if (owner is null || owner.Kind != kind || KindInfo.GroupOf(owner.ApiVersion) != group) yield break;
        var ns = child.Metadata?.NamespaceProperty;
        yield return new ReconcileRequest(string.IsNullOrEmpty(ns) ? null : ns, owner.Name);
    }
}
