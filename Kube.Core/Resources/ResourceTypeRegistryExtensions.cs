using System.Reflection;
using k8s;
using k8s.Models;

namespace Kube.Core.Resources;

/// <summary>Registration helpers for model classes.</summary>
public static class ResourceTypeRegistryExtensions
{
    /// <summary>
    /// Registers <typeparamref name="T"/> from its <see cref="KubernetesEntityAttribute"/> (group, version, kind, plural),
    /// with the status subresource unless <paramref name="subresources"/> says otherwise. Returns the registered type.
    /// </summary>
    /// <exception cref="ArgumentException">The class has no KubernetesEntity attribute, or the attribute lacks a kind or plural.</exception>
    public static ResourceType RegisterCustomResource<T>(this ResourceTypeRegistry registry, bool namespaced = true,
        IReadOnlyList<string>? shortNames = null, IReadOnlyList<string>? subresources = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(registry);
        var a = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{typeof(T).Name} needs a [KubernetesEntity(Group, ApiVersion, Kind, PluralName)] attribute.", nameof(T));
        if (string.IsNullOrEmpty(a.Kind) || string.IsNullOrEmpty(a.PluralName) || string.IsNullOrEmpty(a.ApiVersion))
            throw new ArgumentException($"The KubernetesEntity attribute of {typeof(T).Name} must set ApiVersion, Kind and PluralName.", nameof(T));
        var type = ResourceTypeRegistry.FromModel(typeof(T), namespaced, shortNames, null, subresources ?? ["status"]);
        registry.Register(type);
        return type;
    }
}
