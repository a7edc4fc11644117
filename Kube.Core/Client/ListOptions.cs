namespace Kube.Core.Client;

/// <summary>Options of list and watch, named as the Kubernetes query parameters.</summary>
public sealed record ListOptions
{
    /// <summary>A label selector, e.g. <c>app=demo,tier!=web</c>.</summary>
    public string? LabelSelector { get; init; }
    /// <summary>A field selector, e.g. <c>spec.nodeName=node-1</c>.</summary>
    public string? FieldSelector { get; init; }
    /// <summary>For list: "0" serves from cache; empty is a consistent read. For watch: the version to start after.</summary>
    public string? ResourceVersion { get; init; }
    /// <summary>NotOlderThan or Exact.</summary>
    public string? ResourceVersionMatch { get; init; }
    /// <summary>Page size; 0 or null means everything.</summary>
    public int? Limit { get; init; }
    /// <summary>The continue token of the previous page.</summary>
    public string? Continue { get; init; }
    /// <summary>For watch: the server ends the watch after this many seconds.</summary>
    public int? TimeoutSeconds { get; init; }
    /// <summary>For watch: ask for BOOKMARK events.</summary>
    public bool AllowWatchBookmarks { get; init; }
    /// <summary>For watch: start with synthetic ADDED events for the current state, ended by a bookmark.</summary>
    public bool? SendInitialEvents { get; init; }
}
