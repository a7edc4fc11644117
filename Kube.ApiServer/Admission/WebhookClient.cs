using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>Where a webhook is called: exactly one of <paramref name="Url"/> and <paramref name="Service"/>, and the PEM CA bundle to trust.</summary>
internal sealed record WebhookEndpoint(string? Url, Admissionregistrationv1ServiceReference? Service, byte[]? CaBundle);

/// <summary>
/// The HTTPS client kube-apiserver's webhooks share (admission webhooks and CRD conversion webhooks): POSTs a review
/// object as JSON to <c>clientConfig.url</c> (https only), or to <c>clientConfig.service</c> resolved by
/// <see cref="WebhookServiceResolver"/> and verified as <c>&lt;service&gt;.&lt;namespace&gt;.svc</c>, trusting
/// <c>caBundle</c> (the system roots without one), with the <c>?timeout=Ns</c> query upstream's REST client adds, and
/// returns the parsed reply. Failures are <see cref="HttpRequestException"/> (non-200, no route, TLS, bad URL),
/// <see cref="OperationCanceledException"/> (the timeout), or a JSON/crypto exception; callers word them as upstream does.
/// </summary>
internal static class WebhookClient
{
    /// <summary>The URL posted to, with the <c>?timeout=</c> query upstream's REST client adds.</summary>
    public static Uri Target(WebhookEndpoint endpoint, int timeoutSeconds)
    {
        string url;
        if (endpoint.Service is { } service) url = WebhookServiceResolver.ServiceUri(service);
        else if (endpoint.Url is { Length: > 0 } u && Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme == "https") url = u;
        else throw new HttpRequestException("clientConfig.url must be an https URL");
        return new Uri(url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"timeout={timeoutSeconds}s");
    }

    /// <summary>POSTs <paramref name="review"/> and returns the reply's JSON object.</summary>
    public static async Task<JsonObject> PostAsync(IKubeClient? client, WebhookEndpoint endpoint, Uri target, JsonObject review, int timeoutSeconds, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        using var handler = Handler(endpoint);
        if (endpoint.Service is { } service)
        {
            var resolved = await WebhookServiceResolver.ResolveAsync(Loopback(client), service, timeout.Token).ConfigureAwait(false);
            handler.ConnectCallback = (_, c) => WebhookServiceResolver.ConnectAsync(resolved, c);
        }
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var resp = await http.PostAsync(target, Body(review), timeout.Token).ConfigureAwait(false);
        Check(resp);
        return await resp.Content.ReadFromJsonAsync<JsonObject>(timeout.Token).ConfigureAwait(false)
            ?? throw new HttpRequestException("the webhook replied with JSON null");
    }

    /// <summary>
    /// The same POST made synchronously (<see cref="HttpClient.Send(HttpRequestMessage, CancellationToken)"/>), for the
    /// synchronous storage conversion path. A service reference is resolved through <paramref name="client"/> first, which
    /// blocks on that (in-process) read.
    /// </summary>
    public static JsonObject Post(IKubeClient? client, WebhookEndpoint endpoint, Uri target, JsonObject review, int timeoutSeconds)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        using var handler = Handler(endpoint);
        if (endpoint.Service is { } service)
        {
            var resolved = Task.Run(() => WebhookServiceResolver.ResolveAsync(Loopback(client), service, timeout.Token)).GetAwaiter().GetResult();
            handler.ConnectCallback = (_, c) => WebhookServiceResolver.ConnectAsync(resolved, c);
        }
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = Body(review), Version = System.Net.HttpVersion.Version11 };
        using var resp = http.Send(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        Check(resp);
        using var stream = resp.Content.ReadAsStream(timeout.Token);
        return JsonNode.Parse(stream) as JsonObject ?? throw new HttpRequestException("the webhook replied with JSON that is not an object");
    }

    private static IKubeClient Loopback(IKubeClient? client) =>
        client ?? throw new HttpRequestException("clientConfig.service cannot be resolved: no loopback client");

    private static StringContent Body(JsonObject review) => new(review.ToJsonString(), Encoding.UTF8, "application/json");

    private static void Check(HttpResponseMessage resp)
    {
        if (!resp.IsSuccessStatusCode) throw new HttpRequestException($"expected response code 200, got {(int)resp.StatusCode}");
    }

    private static SocketsHttpHandler Handler(WebhookEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (endpoint.CaBundle is { Length: > 0 } bundle)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPem(Encoding.UTF8.GetString(bundle));
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                cert is X509Certificate2 c2 && Security.ClusterPki.ChainsTo(c2, [.. roots])
                && (errors & (System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch | System.Net.Security.SslPolicyErrors.RemoteCertificateNotAvailable)) == 0;
        }
        return handler;
    }
}
