using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Resources;

namespace Kube.ApiServer.Discovery;

/// <summary>
/// Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) for <c>/api</c> and <c>/apis</c>: every group,
/// version and resource in one document, derived from the same legacy documents so the two never disagree.
/// </summary>
internal static class AggregatedDiscovery
{
    public const string MediaType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    /// <summary>Whether an Accept header asks for the v2 aggregated document.</summary>
    public static bool IsRequested(string? accept)
    {
        if (string.IsNullOrEmpty(accept)) return false;
        foreach (var range in accept.Split(','))
        {
            var parts = range.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || !parts[0].Equals("application/json", StringComparison.OrdinalIgnoreCase)) continue;
            string? g = null, v = null, @as = null;
            foreach (var p in parts.Skip(1))
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) continue;
                var (key, value) = (p[..eq].Trim(), p[(eq + 1)..].Trim());
                switch (key)
                {
                    case "g": g = value; break;
                    case "v": v = value; break;
                    case "as": @as = value; break;
                }
            }
            if (g == "apidiscovery.k8s.io" && v == "v2" && @as == "APIGroupDiscoveryList") return true;
        }
        return false;
    }

    /// <summary>The document for <c>/api</c> (<paramref name="core"/>) or <c>/apis</c>.</summary>
    public static JsonObject Document(ResourceTypeRegistry registry, bool core)
    {
        var items = new JsonArray();
        if (core)
        {
            if (GroupItem(registry, "", ["v1"]) is { } item) items.Add(item);
        }
        else
        {
            var groups = registry.All.Where(t => t.Group.Length > 0).GroupBy(t => t.Group).OrderBy(g => g.Key, StringComparer.Ordinal);
            foreach (var g in groups)
            {
                var versions = g.Select(t => t.Version).Distinct().ToList();
                versions.Sort(DiscoveryDocuments.CompareVersions);
                if (GroupItem(registry, g.Key, versions) is { } item) items.Add(item);
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    private static JsonObject? GroupItem(ResourceTypeRegistry registry, string group, List<string> versions)
    {
        var versionItems = new JsonArray();
        foreach (var version in versions)
        {
            if (DiscoveryDocuments.ResourceList(registry, group, version) is not { } list) continue;
            var resources = new JsonArray();
            var byName = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
            foreach (var r in Json.Arr(list, "resources")!.OfType<JsonObject>())
            {
                var name = Json.Str(r, "name") ?? "";
                var namespaced = r["namespaced"]?.GetValue<bool>() == true;
                var slash = name.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0)
                {
                    var item = new JsonObject
                    {
                        ["resource"] = name,
                        ["responseKind"] = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = Json.Str(r, "kind") },
                        ["scope"] = namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = Json.Str(r, "singularName"),
                        ["verbs"] = r["verbs"]?.DeepClone() ?? new JsonArray(),
                    };
                    if (r["shortNames"] is { } sn) item["shortNames"] = sn.DeepClone();
                    if (r["categories"] is { } cat) item["categories"] = cat.DeepClone();
                    byName[name] = item;
                    resources.Add(item);
                    continue;
                }
                if (!byName.TryGetValue(name[..slash], out var parent)) continue;
                var sub = new JsonObject
                {
                    ["subresource"] = name[(slash + 1)..],
                    ["responseKind"] = new JsonObject
                    {
                        ["group"] = Json.Str(r, "group") ?? group,
                        ["version"] = Json.Str(r, "version") ?? version,
                        ["kind"] = Json.Str(r, "kind"),
                    },
                    ["verbs"] = r["verbs"]?.DeepClone() ?? new JsonArray(),
                };
                ((JsonArray)(parent["subresources"] ??= new JsonArray())).Add(sub);
            }
            versionItems.Add(new JsonObject { ["version"] = version, ["resources"] = resources, ["freshness"] = "Current" });
        }
        if (versionItems.Count == 0) return null;
        var metadata = new JsonObject { ["creationTimestamp"] = null };
        if (group.Length > 0) metadata["name"] = group;
        return new JsonObject { ["metadata"] = metadata, ["versions"] = versionItems };
    }
}
