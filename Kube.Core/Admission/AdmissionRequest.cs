using System.Text.Json.Nodes;
using Kube.Core.Resources;

namespace Kube.Core.Admission;

/// <summary>
/// A request under admission. <see cref="Object"/> is the incoming object as JSON, after decoding and
/// before defaulting and validation; mutating plugins change it in place.
/// </summary>
public sealed class AdmissionRequest
{
    public required ResourceType Resource { get; init; }
    public string? Subresource { get; init; }
    public required AdmissionOperation Operation { get; init; }
    public string? Namespace { get; init; }
    public string? Name { get; init; }
    /// <summary>The new object (null on delete).</summary>
    public JsonObject? Object { get; set; }
    /// <summary>The stored object (on update and delete).</summary>
    public JsonObject? OldObject { get; init; }
    public required UserInfo User { get; init; }
    public bool DryRun { get; init; }
    /// <summary>Warnings returned to the client in <c>Warning</c> headers.</summary>
    public List<string> Warnings { get; } = [];
}
