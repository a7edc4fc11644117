namespace Kube.ApiServer.Security;

/// <summary>What an audit policy rule matches a request on.</summary>
internal sealed record AuditAttributes(string? User, IReadOnlyList<string> Groups, string Verb, string ApiGroup, string? Resource, string? Subresource,
    string? Namespace, string? Name, string Path);
