using System.Text.Json.Nodes;
using Kube.Core.Resources;

namespace Kube.ApiServer.Discovery;

/// <summary>Legacy (plain application/json) discovery documents, derived from the <see cref="ResourceTypeRegistry"/>.</summary>
internal static class DiscoveryDocuments
{
    /// <summary>Subresources whose discovery entry names another kind.</summary>
    private static readonly Dictionary<string, (string Group, string Version, string Kind, string[] Verbs)> SpecialSubresources = new()
    {
        ["scale"] = ("autoscaling", "v1", "Scale", ["get", "patch", "update"]),
        ["binding"] = ("", "", "Binding", ["create"]),
        ["eviction"] = ("policy", "v1", "Eviction", ["create"]),
        ["log"] = ("", "", "Pod", ["get"]),
        ["exec"] = ("", "", "PodExecOptions", ["create", "get"]),
        ["attach"] = ("", "", "PodAttachOptions", ["create", "get"]),
        ["portforward"] = ("", "", "PodPortForwardOptions", ["create", "get"]),
        ["token"] = ("authentication.k8s.io", "v1", "TokenRequest", ["create"]),
        ["finalize"] = ("", "", "Namespace", ["update"]),
    };

    public static JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList(ResourceTypeRegistry registry) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(Groups(registry).Select(g => (JsonNode)Group(g.Key, g.Value)).ToArray()),
    };

    public static JsonObject? GroupDocument(ResourceTypeRegistry registry, string group)
    {
        var groups = Groups(registry);
        if (!groups.TryGetValue(group, out var versions)) return null;
        var doc = Group(group, versions);
        doc["kind"] = "APIGroup";
        doc["apiVersion"] = "v1";
        return doc;
    }

    private static SortedDictionary<string, List<string>> Groups(ResourceTypeRegistry registry)
    {
        var groups = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var t in registry.All)
        {
            if (t.Group.Length == 0) continue;
            if (!groups.TryGetValue(t.Group, out var versions)) groups[t.Group] = versions = [];
            if (!versions.Contains(t.Version)) versions.Add(t.Version);
        }
        foreach (var v in groups.Values) v.Sort(CompareVersions);
        return groups;
    }

    private static JsonObject Group(string name, List<string> versions) => new()
    {
        ["name"] = name,
        ["versions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{name}/{v}", ["version"] = v }).ToArray()),
        ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{name}/{versions[0]}", ["version"] = versions[0] },
    };

    /// <summary>Kubernetes version priority: GA before beta before alpha, higher numbers first.</summary>
    public static int CompareVersions(string a, string b) => Rank(b).CompareTo(Rank(a));

    private static (int Stability, int Major, int Minor) Rank(string v)
    {
        var m = System.Text.RegularExpressions.Regex.Match(v, "^v(\\d+)(?:(alpha|beta)(\\d+))?$");
        if (!m.Success) return (0, 0, 0);
        var major = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var stability = m.Groups[2].Value switch { "alpha" => 1, "beta" => 2, _ => 3 };
        var minor = m.Groups[3].Success && m.Groups[3].Length > 0 ? int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return (stability, major, minor);
    }

    public static JsonObject? ResourceList(ResourceTypeRegistry registry, string group, string version)
    {
        var types = registry.All.Where(t => t.Group == group && t.Version == version).OrderBy(t => t.Plural, StringComparer.Ordinal).ToList();
        if (types.Count == 0) return null;
        var resources = new JsonArray();
        foreach (var t in types)
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = new JsonArray(t.Verbs.Select(v => (JsonNode)v).ToArray()),
            };
            if (t.ShortNames.Count > 0) r["shortNames"] = new JsonArray(t.ShortNames.Select(v => (JsonNode)v).ToArray());
            if (t.Categories.Count > 0) r["categories"] = new JsonArray(t.Categories.Select(v => (JsonNode)v).ToArray());
            resources.Add(r);
            foreach (var sub in t.Subresources)
            {
                var e = new JsonObject { ["name"] = $"{t.Plural}/{sub}", ["singularName"] = "", ["namespaced"] = t.Namespaced };
                if (SpecialSubresources.TryGetValue(sub, out var special))
                {
                    if (special.Group.Length > 0 || special.Version.Length > 0)
                    {
                        e["group"] = special.Group;
                        e["version"] = special.Version;
                    }
                    e["kind"] = special.Kind;
                    e["verbs"] = new JsonArray(special.Verbs.Select(v => (JsonNode)v).ToArray());
                }
                else
                {
                    e["kind"] = t.Kind;
                    e["verbs"] = new JsonArray("get", "patch", "update");
                }
                resources.Add(e);
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }
}
