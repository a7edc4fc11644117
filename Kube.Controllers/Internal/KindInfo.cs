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
        Cached<T>.Attribute ?? throw new InvalidOperationException($"{typeof(T).Name} has no KubernetesEntity attribute.");

    /// <summary>
    /// The attribute read once per type: informer handlers ask for it on every event (the garbage collector's watch of
    /// each kind, once per owner kind), and reading custom attributes allocates and walks metadata each time.
    /// </summary>
    private static class Cached<T>
    {
        public static readonly KubernetesEntityAttribute? Attribute = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>();
    }
}
