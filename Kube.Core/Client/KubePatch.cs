namespace Kube.Core.Client;

/// <summary>The patch formats of the Kubernetes API, with their content types.</summary>
public enum KubePatchType
{
    /// <summary>RFC 6902, <c>application/json-patch+json</c>.</summary>
    Json,
    /// <summary>RFC 7386, <c>application/merge-patch+json</c>.</summary>
    Merge,
    /// <summary><c>application/strategic-merge-patch+json</c>.</summary>
    StrategicMerge,
    /// <summary>Server-side apply, <c>application/apply-patch+yaml</c>.</summary>
    Apply,
}

/// <summary>A patch body and its format.</summary>
public sealed record KubePatch(KubePatchType Type, string Body)
{
    public string ContentType => ContentTypeOf(Type);

    public static string ContentTypeOf(KubePatchType type) => type switch
    {
        KubePatchType.Json => "application/json-patch+json",
        KubePatchType.Merge => "application/merge-patch+json",
        KubePatchType.StrategicMerge => "application/strategic-merge-patch+json",
        KubePatchType.Apply => "application/apply-patch+yaml",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Parses a Content-Type header into a patch type; null when it names none.</summary>
    public static KubePatchType? TypeOf(string? contentType)
    {
        var media = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        return media switch
        {
            "application/json-patch+json" => KubePatchType.Json,
            "application/merge-patch+json" => KubePatchType.Merge,
            "application/strategic-merge-patch+json" => KubePatchType.StrategicMerge,
            "application/apply-patch+yaml" or "application/apply-patch+json" => KubePatchType.Apply,
            _ => null,
        };
    }
}
