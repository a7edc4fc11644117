using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Resources;

namespace Kube.ApiServer.OpenApi;

/// <summary>Serialized OpenAPI v3 documents, built on first request and rebuilt when the served types change.</summary>
internal sealed class OpenApiCache
{
    private readonly ResourceTypeRegistry _types;
    private readonly Validation.CustomSchemas? _customSchemas;
    private readonly ConcurrentDictionary<string, byte[]?> _docs = new();
    private byte[]? _index;
    private byte[]? _v2;

    public OpenApiCache(ResourceTypeRegistry types, Validation.CustomSchemas? customSchemas = null)
    {
        _types = types;
        _customSchemas = customSchemas;
        types.Changed += _ =>
        {
            _docs.Clear();
            _index = null;
            _v2 = null;
        };
    }

    public byte[]? GroupVersion(string group, string version) =>
        _docs.GetOrAdd($"{group}/{version}", _ => OpenApiDocuments.GroupVersion(_types, group, version, _customSchemas) is { } doc ? Json.ToUtf8(doc) : null);

    /// <summary>The Swagger 2.0 document of every served group-version (<c>/openapi/v2</c>).</summary>
    public byte[] V2()
    {
        if (_v2 is { } cached) return cached;
        var docs = _types.All.Select(t => (t.Group, t.Version)).Distinct()
            .OrderBy(g => g.Group, StringComparer.Ordinal).ThenBy(g => g.Version, StringComparer.Ordinal)
            .Select(gv => OpenApiDocuments.GroupVersion(_types, gv.Group, gv.Version, _customSchemas))
            .OfType<JsonObject>();
        return _v2 = Json.ToUtf8(OpenApiV2.Build(docs));
    }

    public byte[] Index()
    {
        if (_index is { } cached) return cached;
        var paths = new JsonObject();
        foreach (var gv in _types.All.Select(t => (t.Group, t.Version)).Distinct().OrderBy(g => g.Group, StringComparer.Ordinal).ThenBy(g => g.Version, StringComparer.Ordinal))
        {
            var p = OpenApiDocuments.GroupVersionPath(gv.Group, gv.Version);
            var doc = GroupVersion(gv.Group, gv.Version);
            var hash = doc is null ? "0" : Convert.ToHexString(System.Security.Cryptography.SHA512.HashData(doc));
            paths[p] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{p}?hash={hash}" };
        }
        return _index = Json.ToUtf8(new JsonObject { ["paths"] = paths });
    }
}
