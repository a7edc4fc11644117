using System.IO.Compression;
using System.Reflection;

namespace Kube.ApiServer.OpenApi;

/// <summary>
/// The summaries of the <c>k8s.Models</c> types and properties, from the KubernetesClient package's XML documentation
/// (extracted at build time by ModelDocs.targets into the resource <c>Kube.ApiServer.ModelDocs</c>). Empty when the
/// resource is missing.
/// </summary>
internal static class ModelDocs
{
    private static readonly Lazy<Dictionary<string, string>> Docs = new(Load);

    /// <summary>Whether descriptions are available.</summary>
    public static bool Available => Docs.Value.Count > 0;

    public static string? Type(Type t) => t.FullName is { } n && Docs.Value.TryGetValue("T:" + n, out var d) ? d : null;

    public static string? Property(PropertyInfo p) =>
        p.DeclaringType?.FullName is { } n && Docs.Value.TryGetValue($"P:{n}.{p.Name}", out var d) ? d : null;

    private static Dictionary<string, string> Load()
    {
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        using var stream = typeof(ModelDocs).Assembly.GetManifestResourceStream("Kube.ApiServer.ModelDocs");
        if (stream is null) return docs;
        using var gz = new GZipStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        while (reader.ReadLine() is { } line)
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0) docs[line[..tab]] = line[(tab + 1)..];
        }
        return docs;
    }
}
