using System.Text;

namespace Kube.ApiServer.Tests.Fuzz;

/// <summary>One generated request: what the fuzzer sends and how a failure prints it for replay.</summary>
internal sealed record FuzzRequest(string Method, string PathAndQuery, string? ContentType, byte[]? Body, string Kind)
{
    public bool IsWatch => PathAndQuery.Contains("watch=", StringComparison.Ordinal) || PathAndQuery.Contains("/watch/", StringComparison.Ordinal);

    public override string ToString()
    {
        var body = Body is null ? "(none)"
            : System.Text.Unicode.Utf8.IsValid(Body) ? Truncate(Encoding.UTF8.GetString(Body))
            : "base64:" + Truncate(Convert.ToBase64String(Body));
        return $"[{Kind}] {Method} {Truncate(PathAndQuery)}\nContent-Type: {ContentType ?? "(none)"}\nBody ({Body?.Length ?? 0} bytes): {body}";
    }

    private static string Truncate(string s) => s.Length <= 600 ? s : s[..600] + $"... ({s.Length} chars)";
}
