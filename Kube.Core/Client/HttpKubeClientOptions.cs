using System.Text.Json;

namespace Kube.Core.Client;

/// <summary>Settings of <see cref="HttpKubeClient"/>.</summary>
public sealed record HttpKubeClientOptions
{
    /// <summary>The timeout of each non-watch request, and of the response headers of a watch; default 100 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// A watch that delivers no line for this long is treated as dead and ends (the informer then re-watches);
    /// default 10 minutes. When the watch asks for <c>timeoutSeconds</c>, that plus one minute is used if longer.
    /// </summary>
    public TimeSpan WatchIdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The longest error body read into a message; default 64 KiB.</summary>
    public int MaxErrorBodyBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// How request and response bodies are (de)serialized; default null: KubernetesClient's <c>KubernetesJson</c> (every model
    /// type). Give options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/> covers the types the program uses (a
    /// source-generated <c>JsonSerializerContext</c> with KubernetesJson's naming, null handling and converters), and a trimmed or
    /// ahead-of-time compiled program need not keep KubernetesClient's whole model (see the feature switch
    /// <c>Kube.Core.Client.KubernetesJsonFallback</c>). A type the resolver does not know fails with NotSupportedException.
    /// </summary>
    public JsonSerializerOptions? SerializerOptions { get; init; }
}
