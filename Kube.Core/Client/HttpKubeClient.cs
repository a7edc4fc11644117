using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Authentication;
using k8s.Models;
using Kube.Core.Resources;

namespace Kube.Core.Client;

/// <summary>
/// <see cref="IKubeClient"/> over the Kubernetes REST API: raw HTTP requests built from the
/// <see cref="ResourceTypeRegistry"/> (<c>/api/v1/namespaces/{ns}/pods/{name}</c>,
/// <c>/apis/{group}/{version}/...</c>), bodies (de)serialized with <see cref="HttpKubeClientOptions.SerializerOptions"/> or else <see cref="KubernetesJson"/>, watches read as
/// streaming newline-delimited JSON. Non-2xx answers become the typed <see cref="KubeApiException"/> of their
/// <see cref="V1Status"/>.
/// </summary>
/// <remarks>
/// Use <see cref="FromConfig"/> for a kubeconfig or in-cluster configuration (base URL, TLS, client certificates and
/// tokens come from KubernetesClient), or the constructor with an <see cref="HttpClient"/> of your own (set its
/// <see cref="HttpClient.Timeout"/> to infinite, or watches end at that timeout; this client applies
/// <see cref="HttpKubeClientOptions.RequestTimeout"/> itself).
/// </remarks>
public sealed class HttpKubeClient : IKubeClient, IDisposable
{
    private static readonly MediaTypeHeaderValue JsonMedia = new("application/json") { CharSet = "utf-8" };
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly ResourceTypeRegistry _registry;
    private readonly HttpKubeClientOptions _options;
    private readonly ServiceClientCredentials? _credentials;
    private readonly IDisposable? _owned;

    /// <param name="http">The client that sends requests (its handler carries TLS and client certificates).</param>
    /// <param name="baseAddress">The API server's URL, e.g. <c>https://127.0.0.1:6443/</c>.</param>
    /// <param name="registry">Maps model types to resources.</param>
    public HttpKubeClient(HttpClient http, Uri baseAddress, ResourceTypeRegistry registry)
        : this(http, baseAddress, registry, null, null, null)
    {
    }

    /// <param name="options">Timeouts and limits; default <see cref="HttpKubeClientOptions"/>' defaults.</param>
    public HttpKubeClient(HttpClient http, Uri baseAddress, ResourceTypeRegistry registry, HttpKubeClientOptions? options)
        : this(http, baseAddress, registry, options, null, null)
    {
    }

    private HttpKubeClient(HttpClient http, Uri baseAddress, ResourceTypeRegistry registry, HttpKubeClientOptions? options,
        ServiceClientCredentials? credentials, IDisposable? owned)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentNullException.ThrowIfNull(registry);
        _http = http;
        var s = baseAddress.ToString();
        _base = new Uri(s.EndsWith('/') ? s : s + "/");
        _registry = registry;
        _options = options ?? new HttpKubeClientOptions();
        _credentials = credentials;
        _owned = owned;
    }

    /// <summary>
    /// A client for a KubernetesClient configuration, e.g. <c>KubernetesClientConfiguration.BuildConfigFromConfigFile(path)</c>
    /// or <c>KubernetesClientConfiguration.InClusterConfig()</c>: its host, CA and client certificates, and its
    /// credentials (bearer token, token provider or basic auth) are applied to every request.
    /// </summary>
    public static HttpKubeClient FromConfig(KubernetesClientConfiguration config, ResourceTypeRegistry? registry = null, HttpKubeClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var kubernetes = new Kubernetes(config);
        var http = kubernetes.HttpClient;
        // this client applies its own per-request timeout; a client-wide one would cut watches short
        http.Timeout = Timeout.InfiniteTimeSpan;
        return new HttpKubeClient(http, kubernetes.BaseUri, registry ?? ResourceTypeRegistry.CreateDefault(), options,
            kubernetes.Credentials, kubernetes);
    }

    public Uri BaseAddress => _base;

    public void Dispose() => _owned?.Dispose();

    // ---------------- URLs ----------------

    /// <summary>The path of a collection, object or subresource, e.g. <c>api/v1/namespaces/ns/pods/p/status</c> (relative to the base).</summary>
    public static string PathOf(ResourceType type, string? @namespace, string? name = null, string? subresource = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        var sb = new StringBuilder(type.Group.Length == 0 ? $"api/{type.Version}" : $"apis/{type.Group}/{type.Version}");
        if (type.Namespaced && !string.IsNullOrEmpty(@namespace)) sb.Append("/namespaces/").Append(Uri.EscapeDataString(@namespace));
        sb.Append('/').Append(type.Plural);
        if (!string.IsNullOrEmpty(name)) sb.Append('/').Append(Uri.EscapeDataString(name));
        if (!string.IsNullOrEmpty(subresource)) sb.Append('/').Append(subresource);
        return sb.ToString();
    }

    private ResourceType TypeOf<T>() => _registry.For<T>();

    private static string? RequireNamespace(ResourceType type, string? @namespace, string name)
    {
        if (!type.Namespaced) return null;
        if (string.IsNullOrEmpty(@namespace))
            throw new ArgumentException($"{type.Kind} \"{name}\" is namespaced; a namespace is required.", nameof(@namespace));
        return @namespace;
    }

    private static void Add(List<string> q, string key, string? value)
    {
        if (value is null) return;
        q.Add(Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(value));
    }

    private static List<string> Query(ListOptions? o, bool watch)
    {
        var q = new List<string>();
        if (watch) q.Add("watch=true");
        if (o is null) return q;
        Add(q, "labelSelector", string.IsNullOrEmpty(o.LabelSelector) ? null : o.LabelSelector);
        Add(q, "fieldSelector", string.IsNullOrEmpty(o.FieldSelector) ? null : o.FieldSelector);
        Add(q, "resourceVersion", string.IsNullOrEmpty(o.ResourceVersion) ? null : o.ResourceVersion);
        Add(q, "resourceVersionMatch", string.IsNullOrEmpty(o.ResourceVersionMatch) ? null : o.ResourceVersionMatch);
        if (o.Limit is > 0) Add(q, "limit", o.Limit.Value.ToString(CultureInfo.InvariantCulture));
        Add(q, "continue", string.IsNullOrEmpty(o.Continue) ? null : o.Continue);
        if (o.TimeoutSeconds is { } t) Add(q, "timeoutSeconds", t.ToString(CultureInfo.InvariantCulture));
        if (watch && o.AllowWatchBookmarks) Add(q, "allowWatchBookmarks", "true");
        if (o.SendInitialEvents is { } s) Add(q, "sendInitialEvents", s ? "true" : "false");
        return q;
    }

    private static List<string> Query(WriteOptions? o)
    {
        var q = new List<string>();
        if (o is null) return q;
        Add(q, "fieldManager", o.FieldManager);
        Add(q, "dryRun", o.DryRun);
        Add(q, "fieldValidation", o.FieldValidation);
        if (o.Force is { } f) Add(q, "force", f ? "true" : "false");
        return q;
    }

    private Uri UriOf(string path, List<string> query) => new(_base, query.Count == 0 ? path : path + "?" + string.Join('&', query));

    // ---------------- IKubeClient ----------------

    public async Task<T> GetAsync<T>(string name, string? @namespace = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var type = TypeOf<T>();
        using var req = new HttpRequestMessage(HttpMethod.Get, UriOf(PathOf(type, RequireNamespace(type, @namespace, name), name), []));
        return Stamp(Deserialize<T>(await SendForBodyAsync(req, cancellationToken).ConfigureAwait(false)), type);
    }

    public async Task<KubeList<T>> ListAsync<T>(string? @namespace = null, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var type = TypeOf<T>();
        using var req = new HttpRequestMessage(HttpMethod.Get, UriOf(PathOf(type, @namespace), Query(options, watch: false)));
        var body = await SendForBodyAsync(req, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        string rv = "";
        string? cont = null;
        long? remaining = null;
        if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
        {
            if (meta.TryGetProperty("resourceVersion", out var r) && r.ValueKind == JsonValueKind.String) rv = r.GetString() ?? "";
            if (meta.TryGetProperty("continue", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() is { Length: > 0 } cs) cont = cs;
            if (meta.TryGetProperty("remainingItemCount", out var ri) && ri.ValueKind == JsonValueKind.Number) remaining = ri.GetInt64();
        }

        var items = new List<T>();
        if (root.TryGetProperty("items", out var arr) && arr.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in arr.EnumerateArray()) items.Add(Stamp(Deserialize<T>(item.GetRawText()), type));
        }

        return new KubeList<T>(items, rv, cont, remaining);
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? @namespace = null, ListOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var type = TypeOf<T>();
        using var req = new HttpRequestMessage(HttpMethod.Get, UriOf(PathOf(type, @namespace), Query(options, watch: true)));
        req.Headers.Accept.ParseAdd("application/json");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            if (_credentials is not null) await _credentials.ProcessHttpRequestAsync(req, cts.Token).ConfigureAwait(false);
            response = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(req, ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
            var idle = _options.WatchIdleTimeout;
            if (options?.TimeoutSeconds is { } ts && TimeSpan.FromSeconds(ts) + TimeSpan.FromMinutes(1) > idle) idle = TimeSpan.FromSeconds(ts) + TimeSpan.FromMinutes(1);
            cts.CancelAfter(idle);
            await using var stream = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    yield break; // idle: treat as the end of the watch; the caller re-watches from its last version
                }
                catch (IOException) when (!cancellationToken.IsCancellationRequested)
                {
                    yield break; // the connection dropped: the watch ended
                }

                if (line is null) yield break;
                if (line.Length == 0) continue;
                cts.CancelAfter(idle);
                var ev = ParseWatchLine<T>(line, type, _options.SerializerOptions);
                if (ev.Type == WatchEventType.Error)
                    throw KubeApiException.FromStatus(ev.Status ?? KubeApiException.NewStatus(500, "InternalError", "watch ERROR event without a status"));
                yield return ev;
            }
        }
    }

    /// <summary>Parses one line of a watch stream: <c>{"type":"ADDED","object":{...}}</c>.</summary>
    internal static WatchEvent<T> ParseWatchLine<T>(string line, ResourceType? type = null, JsonSerializerOptions? json = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var typeName = root.TryGetProperty("type", out var t) ? t.GetString() : null;
        var kind = typeName switch
        {
            "ADDED" => WatchEventType.Added,
            "MODIFIED" => WatchEventType.Modified,
            "DELETED" => WatchEventType.Deleted,
            "BOOKMARK" => WatchEventType.Bookmark,
            "ERROR" => WatchEventType.Error,
            _ => throw new KubeApiException(KubeApiException.NewStatus(500, "InternalError", $"unknown watch event type \"{typeName}\"")),
        };
        if (!root.TryGetProperty("object", out var obj) || obj.ValueKind != JsonValueKind.Object)
            throw new KubeApiException(KubeApiException.NewStatus(500, "InternalError", $"watch event {typeName} without an object"));
        if (kind == WatchEventType.Error)
            return new WatchEvent<T>(kind, null, ClientJson.Deserialize<V1Status>(obj.GetRawText(), json));
        var value = ClientJson.Deserialize<T>(obj.GetRawText(), json);
        return new WatchEvent<T>(kind, type is null ? value : Stamp(value, type));
    }

    public async Task<T> CreateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        var type = TypeOf<T>();
        var name = obj.Metadata?.Name ?? obj.Metadata?.GenerateName ?? "";
        using var req = new HttpRequestMessage(HttpMethod.Post, UriOf(PathOf(type, RequireNamespace(type, obj.Metadata?.NamespaceProperty, name)), Query(options)))
        {
            Content = Body(obj, type),
        };
        return Stamp(Deserialize<T>(await SendForBodyAsync(req, cancellationToken).ConfigureAwait(false)), type);
    }

    public Task<T> UpdateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => PutAsync(obj, null, options, cancellationToken);

    public Task<T> UpdateStatusAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => PutAsync(obj, "status", options, cancellationToken);

    private async Task<T> PutAsync<T>(T obj, string? subresource, WriteOptions? options, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        var type = TypeOf<T>();
        var name = obj.Metadata?.Name;
        ArgumentException.ThrowIfNullOrEmpty(name, "obj.Metadata.Name");
        using var req = new HttpRequestMessage(HttpMethod.Put, UriOf(PathOf(type, RequireNamespace(type, obj.Metadata!.NamespaceProperty, name), name, subresource), Query(options)))
        {
            Content = Body(obj, type),
        };
        return Stamp(Deserialize<T>(await SendForBodyAsync(req, cancellationToken).ConfigureAwait(false)), type);
    }

    public async Task<T> PatchAsync<T>(string name, string? @namespace, KubePatch patch, string? subresource = null, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(patch);
        var type = TypeOf<T>();
        var content = new StringContent(patch.Body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(patch.ContentType);
        using var req = new HttpRequestMessage(HttpMethod.Patch, UriOf(PathOf(type, RequireNamespace(type, @namespace, name), name, subresource), Query(options)))
        {
            Content = content,
        };
        return Stamp(Deserialize<T>(await SendForBodyAsync(req, cancellationToken).ConfigureAwait(false)), type);
    }

    public async Task<T?> DeleteAsync<T>(string name, string? @namespace = null, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var type = TypeOf<T>();
        var body = new V1DeleteOptions { ApiVersion = "v1", Kind = "DeleteOptions" };
        if (options is not null)
        {
            body.GracePeriodSeconds = options.GracePeriodSeconds;
            body.PropagationPolicy = options.PropagationPolicy?.ToString();
            if (options.PreconditionUid is not null || options.PreconditionResourceVersion is not null)
                body.Preconditions = new V1Preconditions { Uid = options.PreconditionUid, ResourceVersion = options.PreconditionResourceVersion };
            if (options.DryRun is not null) body.DryRun = [options.DryRun];
        }

        using var req = new HttpRequestMessage(HttpMethod.Delete, UriOf(PathOf(type, RequireNamespace(type, @namespace, name), name), []))
        {
            Content = new StringContent(ClientJson.Serialize(body, _options.SerializerOptions), Encoding.UTF8, JsonMedia),
        };
        var text = await SendForBodyAsync(req, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text)) return null;
        using (var doc = JsonDocument.Parse(text))
        {
            if (doc.RootElement.TryGetProperty("kind", out var k) && k.GetString() == "Status") return null;
        }

        // Servers answer either a Status or the object. The object may be the deleted one (gone) or one that still
        // exists because finalizers or a grace period hold it: only the latter is returned.
        var obj = Stamp(Deserialize<T>(text), type);
        var meta = obj.Metadata;
        var stillThere = meta?.DeletionTimestamp is not null
            && ((meta.Finalizers?.Count ?? 0) > 0 || meta.DeletionGracePeriodSeconds is > 0);
        return stillThere ? obj : null;
    }

    public async Task CreateSubresourceAsync<T>(string name, string? @namespace, string subresource, object body, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(subresource);
        ArgumentNullException.ThrowIfNull(body);
        var type = TypeOf<T>();
        using var req = new HttpRequestMessage(HttpMethod.Post, UriOf(PathOf(type, RequireNamespace(type, @namespace, name), name, subresource), Query(options)))
        {
            Content = new StringContent(ClientJson.SerializeObject(body, _options.SerializerOptions), Encoding.UTF8, JsonMedia),
        };
        await SendForBodyAsync(req, cancellationToken).ConfigureAwait(false);
    }

    // ---------------- plumbing ----------------

    private StringContent Body<T>(T obj, ResourceType type)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var json = ClientJson.Serialize(obj, _options.SerializerOptions);
        if (string.IsNullOrEmpty(obj.ApiVersion) || string.IsNullOrEmpty(obj.Kind))
        {
            // fill in apiVersion and kind without mutating the caller's object
            var node = JsonNode.Parse(json)!.AsObject();
            node["apiVersion"] = type.ApiVersion;
            node["kind"] = type.Kind;
            json = node.ToJsonString();
        }

        return new StringContent(json, Encoding.UTF8, JsonMedia);
    }

    private T Deserialize<T>(string json) => ClientJson.Deserialize<T>(json, _options.SerializerOptions);

    /// <summary>Objects in lists and some answers come without apiVersion and kind: fill them in.</summary>
    private static T Stamp<T>(T obj, ResourceType type)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (obj is null) return obj!;
        if (string.IsNullOrEmpty(obj.ApiVersion)) obj.ApiVersion = type.ApiVersion;
        if (string.IsNullOrEmpty(obj.Kind)) obj.Kind = type.Kind;
        return obj;
    }

    private async Task<string> SendForBodyAsync(HttpRequestMessage req, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_options.RequestTimeout);
        try
        {
            if (_credentials is not null) await _credentials.ProcessHttpRequestAsync(req, cts.Token).ConfigureAwait(false);
            req.Headers.Accept.ParseAdd("application/json");
            using var response = await _http.SendAsync(req, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, cts.Token).ConfigureAwait(false);
            return await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(req, ex);
        }
    }

    private KubeApiException TimedOut(HttpRequestMessage req, Exception inner) =>
        KubeApiException.FromStatus(KubeApiException.NewStatus(504, "Timeout",
            $"{req.Method} {req.RequestUri?.AbsolutePath} did not answer within {_options.RequestTimeout.TotalSeconds:0.#} s"), inner);

    private async Task<KubeApiException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        string text;
        try
        {
            await using var s = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[_options.MaxErrorBodyBytes];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await s.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false)) > 0) read += n;
            text = Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            text = "";
        }

        V1Status? status = null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("kind", out var k) && k.GetString() == "Status")
                status = Deserialize<V1Status>(text);
        }
        catch (JsonException)
        {
        }

        status ??= KubeApiException.NewStatus(code, ReasonOf(response.StatusCode), string.IsNullOrWhiteSpace(text) ? $"HTTP {code} {response.ReasonPhrase}" : text.Trim());
        status.Code ??= code;
        return KubeApiException.FromStatus(status);
    }

    private static string ReasonOf(HttpStatusCode code) => code switch
    {
        HttpStatusCode.NotFound => "NotFound",
        HttpStatusCode.Conflict => "Conflict",
        HttpStatusCode.Gone => "Expired",
        HttpStatusCode.UnprocessableEntity => "Invalid",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.TooManyRequests => "TooManyRequests",
        HttpStatusCode.MethodNotAllowed => "MethodNotAllowed",
        HttpStatusCode.UnsupportedMediaType => "UnsupportedMediaType",
        HttpStatusCode.RequestEntityTooLarge => "RequestEntityTooLarge",
        HttpStatusCode.BadRequest => "BadRequest",
        HttpStatusCode.GatewayTimeout => "Timeout",
        HttpStatusCode.ServiceUnavailable => "ServiceUnavailable",
        _ => "InternalError",
    };
}
