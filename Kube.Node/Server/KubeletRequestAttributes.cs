namespace Kube.Node.Server;

/// <summary>
/// The authorization attributes of one kubelet API request, mapped as upstream's kubelet maps them: resource <c>nodes</c>,
/// name = the node, API group "" and version v1; the verb from the method (GET get, POST create, PUT update, PATCH patch,
/// DELETE delete); subresource <c>stats</c> under /stats, <c>metrics</c> under /metrics, <c>log</c> under /logs,
/// <c>spec</c> under /spec, and <c>proxy</c> for everything else (/exec, /run, /attach, /portForward, /containerLogs, /pods, /healthz, ...).
/// </summary>
public sealed record KubeletRequestAttributes(string User, IReadOnlyList<string> Groups, string Verb, string NodeName, string Subresource, string Path)
{
    /// <summary>The attributes of <paramref name="method"/> <paramref name="path"/> (no query) by <paramref name="user"/>.</summary>
    public static KubeletRequestAttributes For(string user, IReadOnlyList<string> groups, string method, string path, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(path);
        var verb = method switch
        {
            "GET" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        };
        var subresource = IsSubpath(path, "/stats") ? "stats"
            : IsSubpath(path, "/metrics") ? "metrics"
            : IsSubpath(path, "/logs") ? "log"
            : IsSubpath(path, "/spec") ? "spec"
            : "proxy";
        return new KubeletRequestAttributes(user, groups, verb, nodeName, subresource, path);
    }

    /// <summary>Upstream's kubelet's 403 body.</summary>
    public string ForbiddenMessage => $"Forbidden (user={User}, verb={Verb}, resource=nodes, subresource={Subresource})";

    /// <summary>Upstream's kubelet's 500 body when no decision could be had.</summary>
    public string ErrorMessage => $"Authorization error (user={User}, verb={Verb}, resource=nodes, subresource={Subresource})";

    private static bool IsSubpath(string path, string prefix) =>
        path == prefix || (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && path[prefix.Length] == '/');
}
