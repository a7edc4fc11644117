namespace Kube.Core.Resources;

/// <summary>
/// One served kind: GroupVersionKind ⇄ GroupVersionResource, its scope, list kind and discovery hints.
/// <see cref="ClrType"/> is the model class (a <c>k8s.Models</c> type, or a user's custom resource class);
/// it may be null for kinds served only generically (CRDs without a registered class).
/// </summary>
public sealed record ResourceType
{
    /// <summary>The API group; "" for the core group.</summary>
    public required string Group { get; init; }
    public required string Version { get; init; }
    public required string Kind { get; init; }
    /// <summary>The lower-case plural resource name, e.g. "deployments".</summary>
    public required string Plural { get; init; }
    public required bool Namespaced { get; init; }
    public Type? ClrType { get; init; }
    public string ListKind => Kind + "List";
    /// <summary>The lower-case singular name, e.g. "deployment".</summary>
    public string Singular => Kind.ToLowerInvariant();
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    /// <summary>Subresources served, e.g. "status", "scale", "binding".</summary>
    public IReadOnlyList<string> Subresources { get; init; } = [];
    /// <summary>The verbs served on the collection and items.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = DefaultVerbs;

    public static readonly IReadOnlyList<string> DefaultVerbs =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>"v1" for core, otherwise "group/version".</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>"pods" or "deployments.apps": the group-qualified resource, as used in error messages.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public override string ToString() => $"{ApiVersion}, Kind={Kind} ({Plural})";
}
