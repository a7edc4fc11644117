using Kube.Core.Admission;

namespace Kube.ApiServer.Authorization;

/// <summary>What is asked: who, which verb, on which resource (or non-resource path).</summary>
public sealed record AuthorizationAttributes(UserInfo User, string Verb)
{
    public string ApiGroup { get; init; } = "";
    public string? Resource { get; init; }
    public string? Subresource { get; init; }
    public string? Namespace { get; init; }
    public string? Name { get; init; }
    /// <summary>For non-resource requests (discovery, /version): the path.</summary>
    public string? Path { get; init; }
}
