using System.Reflection;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Kube.ApiServer.OpenApi;

/// <summary>
/// Upstream's OpenAPI definition names for the <c>k8s.Models</c> classes (<c>V1PodSpec</c> is
/// <c>io.k8s.api.core.v1.PodSpec</c>, <c>V1ObjectMeta</c> is <c>io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta</c>),
/// derived from the class name's version prefix and the group of the kind the class belongs to: an apimachinery meta
/// type, else the longest kind name that prefixes it in that version (<c>DeploymentSpec</c> belongs to Deployment),
/// else the group of the class that refers to it.
/// </summary>
internal static partial class DefinitionNames
{
    public const string MetaPackage = "io.k8s.apimachinery.pkg.apis.meta.v1";

    private static readonly HashSet<string> MetaTypes = new(StringComparer.Ordinal)
    {
        "ObjectMeta", "ListMeta", "LabelSelector", "LabelSelectorRequirement", "OwnerReference", "ManagedFieldsEntry", "Status",
        "StatusCause", "StatusDetails", "Condition", "DeleteOptions", "Preconditions", "APIResource", "APIResourceList", "APIGroup",
        "APIGroupList", "APIVersions", "GroupVersionForDiscovery", "ServerAddressByClientCIDR", "WatchEvent", "Patch", "FieldsV1",
    };

    /// <summary>(version, kind) → group of every model class with a KubernetesEntity attribute.</summary>
    private static readonly Lazy<Dictionary<(string Version, string Kind), string>> Kinds = new(() =>
    {
        var kinds = new Dictionary<(string, string), string>();
        foreach (var t in typeof(V1Pod).Assembly.GetTypes())
        {
            if (t.Namespace != "k8s.Models" || t.GetCustomAttribute<KubernetesEntityAttribute>() is not { } a || string.IsNullOrEmpty(a.Kind)) continue;
            kinds.TryAdd((a.ApiVersion ?? "", a.Kind), a.Group ?? "");
        }
        return kinds;
    });

    [GeneratedRegex("^V(\\d+(?:alpha\\d+|beta\\d+)?)([A-Z].*)$")]
    private static partial Regex Versioned();

    /// <summary>Classes whose name starts with their group, as <c>Eventsv1Event</c> and <c>Corev1Event</c>.</summary>
    [GeneratedRegex("^([A-Z][a-z]+)v(\\d+(?:alpha\\d+|beta\\d+)?)([A-Z].*)$")]
    private static partial Regex GroupVersioned();

    /// <summary>The definition name of <paramref name="t"/>; <paramref name="referrerPackage"/> is the package of the class referring to it.</summary>
    public static string Of(Type t, string? referrerPackage)
    {
        if (t.Name == "IntOrString") return "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
        if (t.Name == "ResourceQuantity") return "io.k8s.apimachinery.pkg.api.resource.Quantity";
        if (GroupVersioned().Match(t.Name) is { Success: true } g)
        {
            var prefix = g.Groups[1].Value.ToLowerInvariant();
            var pkg = prefix == "core" ? Package("", "v" + g.Groups[2].Value) : $"io.k8s.api.{prefix}.v{g.Groups[2].Value}";
            return $"{pkg}.{g.Groups[3].Value}";
        }
        var m = Versioned().Match(t.Name);
        if (!m.Success) return (referrerPackage ?? "io.k8s.api.core.v1") + "." + t.Name;
        var version = "v" + m.Groups[1].Value;
        var name = m.Groups[2].Value;
        if (MetaTypes.Contains(name)) return $"{MetaPackage}.{name}";
        if (t.GetCustomAttribute<KubernetesEntityAttribute>() is { } own) return $"{Package(own.Group ?? "", version)}.{name}";
        string? best = null;
        foreach (var ((v, kind), group) in Kinds.Value)
        {
            if (v != version || !name.StartsWith(kind, StringComparison.Ordinal)) continue;
            if (best is null || kind.Length > best.Length) best = kind;
        }
        if (best is not null) return $"{Package(Kinds.Value[(version, best)], version)}.{name}";
        if (referrerPackage is not null && !referrerPackage.StartsWith("io.k8s.apimachinery", StringComparison.Ordinal)
            && referrerPackage.EndsWith("." + version, StringComparison.Ordinal))
            return $"{referrerPackage}.{name}";
        return $"{Package("", version)}.{name}";
    }

    /// <summary>The Go package of a group's types as upstream's definition names spell it.</summary>
    public static string Package(string group, string version) => group switch
    {
        "" => $"io.k8s.api.core.{version}",
        "apiextensions.k8s.io" => $"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{version}",
        "apiregistration.k8s.io" => $"io.k8s.kube-aggregator.pkg.apis.apiregistration.{version}",
        _ => $"io.k8s.api.{group.Split('.')[0]}.{version}",
    };

    /// <summary>A custom resource's definition name: the reversed group, the version and the kind (<c>com.example.v1.Widget</c>).</summary>
    public static string Custom(string group, string version, string kind) =>
        string.Join('.', group.Split('.').Reverse()) + $".{version}.{kind}";

    /// <summary>The package part of a definition name.</summary>
    public static string PackageOf(string definition) => definition[..definition.LastIndexOf('.')];
}
