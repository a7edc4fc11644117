namespace Kube.Core.Client;

/// <summary>Options of create, update and patch, named as the Kubernetes query parameters.</summary>
public sealed record WriteOptions
{
    /// <summary>The field manager recorded in managedFields.</summary>
    public string? FieldManager { get; init; }
    /// <summary>"All" to validate and admit without persisting.</summary>
    public string? DryRun { get; init; }
    /// <summary>Strict, Warn or Ignore.</summary>
    public string? FieldValidation { get; init; }
    /// <summary>For server-side apply: take ownership of conflicting fields.</summary>
    public bool? Force { get; init; }
}
