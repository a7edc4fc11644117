using System.Collections.Concurrent;
using System.Reflection;
using k8s.Models;

namespace Kube.Core.Resources;

/// <summary>
/// Maps model types, kinds and resources to each other. Built-in kinds are registered by
/// <see cref="CreateDefault"/>; custom resources are added with <see cref="Register"/> (at start, or at
/// run time when a CRD appears). Thread-safe.
/// </summary>
public sealed class ResourceTypeRegistry
{
    private readonly ConcurrentDictionary<Type, ResourceType> _byClr = new();
    private readonly ConcurrentDictionary<(string Group, string Version, string Plural), ResourceType> _byResource = new();
    private readonly ConcurrentDictionary<(string Group, string Version, string Kind), ResourceType> _byKind = new();

    /// <summary>Raised after a type is added or replaced.</summary>
    public event Action<ResourceType>? Changed;

    public IReadOnlyCollection<ResourceType> All => _byResource.Values.ToArray();

    public void Register(ResourceType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        _byResource[(type.Group, type.Version, type.Plural)] = type;
        _byKind[(type.Group, type.Version, type.Kind)] = type;
        if (type.ClrType is not null) _byClr[type.ClrType] = type;
        Changed?.Invoke(type);
    }

    public bool Remove(string group, string version, string plural)
    {
        if (!_byResource.TryRemove((group, version, plural), out var type)) return false;
        _byKind.TryRemove((type.Group, type.Version, type.Kind), out _);
        if (type.ClrType is not null) _byClr.TryRemove(type.ClrType, out _);
        Changed?.Invoke(type);
        return true;
    }

    public ResourceType For<T>() => For(typeof(T));

    public ResourceType For(Type clrType) =>
        _byClr.TryGetValue(clrType, out var t)
            ? t
            : throw new InvalidOperationException($"{clrType.Name} is not a registered resource type; register it in ResourceTypeRegistry.");

    public ResourceType? FindByResource(string group, string version, string plural) =>
        _byResource.TryGetValue((group, version, plural), out var t) ? t : null;

    public ResourceType? FindByKind(string group, string version, string kind) =>
        _byKind.TryGetValue((group, version, kind), out var t) ? t : null;

    /// <summary>Splits an apiVersion ("v1", "apps/v1") and finds the kind.</summary>
    public ResourceType? FindByApiVersionKind(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/');
        return slash < 0 ? FindByKind("", apiVersion, kind) : FindByKind(apiVersion[..slash], apiVersion[(slash + 1)..], kind);
    }

    /// <summary>A registry with the built-in Kubernetes kinds.</summary>
    public static ResourceTypeRegistry CreateDefault()
    {
        var r = new ResourceTypeRegistry();
        foreach (var t in BuiltInTypes.All) r.Register(t);
        return r;
    }

    /// <summary>Builds a <see cref="ResourceType"/> from a model class's <see cref="KubernetesEntityAttribute"/>.</summary>
    public static ResourceType FromModel(Type clrType, bool namespaced, IReadOnlyList<string>? shortNames = null,
        IReadOnlyList<string>? categories = null, IReadOnlyList<string>? subresources = null)
    {
        var a = clrType.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{clrType.Name} has no KubernetesEntity attribute", nameof(clrType));
        return new ResourceType
        {
            Group = a.Group ?? "",
            Version = a.ApiVersion,
            Kind = a.Kind,
            Plural = a.PluralName,
            Namespaced = namespaced,
            ClrType = clrType,
            ShortNames = shortNames ?? [],
            Categories = categories ?? [],
            Subresources = subresources ?? [],
        };
    }
}
