namespace Kube.ApiServer.Http;

/// <summary>What a request path names, as upstream's RequestInfo: a non-resource path, discovery, or a resource request.</summary>
internal sealed record RequestInfo
{
    public required RequestPathKind Kind { get; init; }
    public string Group { get; init; } = "";
    public string Version { get; init; } = "";
    public string? Namespace { get; init; }
    public string? Resource { get; init; }
    public string? Name { get; init; }
    public string? Subresource { get; init; }

    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    public static RequestInfo Parse(string path)
    {
        var segs = path.Trim('/').Split('/', StringSplitOptions.None);
        if (segs.Length == 0 || segs[0].Length == 0) return new RequestInfo { Kind = RequestPathKind.Other };
        int restStart;
        string group, version;
        if (segs[0] == "api")
        {
            if (segs.Length == 1) return new RequestInfo { Kind = RequestPathKind.ApiVersions };
            group = "";
            version = segs[1];
            restStart = 2;
        }
        else if (segs[0] == "apis")
        {
            if (segs.Length == 1) return new RequestInfo { Kind = RequestPathKind.ApiGroupList };
            if (segs.Length == 2) return new RequestInfo { Kind = RequestPathKind.ApiGroup, Group = segs[1] };
            group = segs[1];
            version = segs[2];
            restStart = 3;
        }
        else
        {
            return new RequestInfo { Kind = RequestPathKind.Other };
        }
        var rest = segs[restStart..];
        if (rest.Length == 0) return new RequestInfo { Kind = RequestPathKind.ResourceList, Group = group, Version = version };
        if (rest.Any(s => s.Length == 0)) return new RequestInfo { Kind = RequestPathKind.Other };
        string? ns = null;
        if (rest[0] == "namespaces" && rest.Length > 2 && !(rest.Length == 3 && NamespaceSubresources.Contains(rest[2])))
        {
            ns = rest[1];
            rest = rest[2..];
        }
        if (rest.Length > 3) return new RequestInfo { Kind = RequestPathKind.Other };
        return new RequestInfo
        {
            Kind = RequestPathKind.Resource,
            Group = group,
            Version = version,
            Namespace = ns,
            Resource = rest[0],
            Name = rest.Length > 1 ? rest[1] : null,
            Subresource = rest.Length > 2 ? rest[2] : null,
        };
    }
}

internal enum RequestPathKind { Other, ApiVersions, ApiGroupList, ApiGroup, ResourceList, Resource }
