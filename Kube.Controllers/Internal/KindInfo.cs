using System.Reflection;
using k8s.Models;

namespace Kube.Controllers.Internal;

/// <summary>Group, version and kind of model types, from their KubernetesEntity attribute.</summary>
internal static class KindInfo
{
    public static (string Group, string Kind) Of<T>()
    {
        var a = Attribute<T>();
        return (a.Group ?? "", a.Kind);
    }

    public static string ApiVersionOf<T>()
    {
        var a = Attribute<T>();
        return string.IsNullOrEmpty(a.Group) ? a.ApiVersion : $"{a.Group}/{a.ApiVersion}";
    }

    public static string KindOf<T>() => Attribute<T>().Kind;

    public static string GroupOf(string? apiVersion)
    {
        if (string.IsNullOrEmpty(apiVersion)) return "";
        var slash = apiVersion.IndexOf('/');
        return slash < 0 ? "" : apiVersion[..slash];
    }

    private static KubernetesEntityAttribute Attribute<T>() =>
        typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()
        ?? throw new InvalidOperationException($"{typeof(T).Name} has no KubernetesEntity attribute.");
}
