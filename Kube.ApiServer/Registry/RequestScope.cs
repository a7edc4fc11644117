using Kube.Core.Admission;
using Kube.Core.Resources;

namespace Kube.ApiServer.Registry;

/// <summary>What a request is about (kind, namespace, name, subresource) and who makes it.</summary>
internal sealed record RequestScope(ResourceType Type, string? Namespace, string? Name, string? Subresource, UserInfo User)
{
    /// <summary>The body came from a typed model object (the in-process client), so it cannot carry wrongly typed fields.</summary>
    public bool TypedInput { get; init; }
}
