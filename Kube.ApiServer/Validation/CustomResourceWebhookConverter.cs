using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Admission;
using Kube.ApiServer.Registry;
using Kube.Core.Client;

namespace Kube.ApiServer.Validation;

/// <summary>
/// A CRD's <c>spec.conversion.strategy: Webhook</c>, as apiextensions-apiserver's webhook converter: an object whose
/// apiVersion is not the one wanted is sent in a <c>ConversionReview</c> (the first of <c>conversionReviewVersions</c>
/// this server speaks: v1 or v1beta1; request.uid, desiredAPIVersion, objects) to the webhook through
/// <see cref="WebhookClient"/> with upstream's fixed 30-second timeout. The reply is checked as upstream checks it (kind
/// and uid for v1, result.status Success, one object of the desired groupVersion and the same kind, name, namespace and
/// uid) and the original metadata is kept but for the labels and annotations the webhook returned. Any failure is a 500
/// Status without reason, <c>conversion webhook for GROUP/VERSION, Kind=KIND failed: ...</c>, as upstream: the webhook
/// failed, the input was not bad.
/// </summary>
internal sealed class CustomResourceWebhookConverter(WebhookEndpoint endpoint, IReadOnlyList<string> reviewVersions, Func<IKubeClient?> loopback)
{
    /// <summary>Upstream's webhook client timeout for conversion webhooks (they have no timeoutSeconds field).</summary>
    public const int TimeoutSeconds = 30;

    /// <summary>The converter of a CRD's <c>spec.conversion</c>, or null when its strategy is not Webhook (or it has no client config).</summary>
    public static CustomResourceWebhookConverter? From(JsonObject? conversion, Func<IKubeClient?> loopback)
    {
        if (Json.Str(conversion, "strategy") != "Webhook" || Json.Obj(conversion, "webhook") is not { } webhook) return null;
        var config = Json.Obj(webhook, "clientConfig");
        if (config is null) return null;
        Admissionregistrationv1ServiceReference? service = null;
        if (Json.Obj(config, "service") is { } svc)
        {
            service = new Admissionregistrationv1ServiceReference
            {
                Name = Json.Str(svc, "name"),
                NamespaceProperty = Json.Str(svc, "namespace"),
                Path = Json.Str(svc, "path"),
                Port = (int?)Json.Long(svc["port"]) ?? 443,
            };
        }
        byte[]? ca = null;
        if (Json.Str(config, "caBundle") is { Length: > 0 } b64)
        {
            try
            {
                ca = System.Convert.FromBase64String(b64);
            }
            catch (FormatException)
            {
                ca = null;
            }
        }
        var versions = Json.Arr(webhook, "conversionReviewVersions")?.Select(Json.Str).OfType<string>().ToList() ?? [];
        return new CustomResourceWebhookConverter(new WebhookEndpoint(Json.Str(config, "url"), service, ca), versions, loopback);
    }

    /// <summary>Converts synchronously (reads and writes of the registry convert synchronously).</summary>
    public JsonObject Convert(JsonObject obj, string desiredApiVersion)
    {
        if (Json.Str(obj, "apiVersion") == desiredApiVersion) return obj;
        var (review, uid, target) = Prepare(obj, desiredApiVersion);
        JsonObject reply;
        try
        {
            reply = WebhookClient.Post(loopback(), endpoint, target, review, TimeoutSeconds);
        }
        catch (Exception e) when (IsCallFailure(e))
        {
            throw Failed(obj, CallError(e, target));
        }
        return Finish(obj, desiredApiVersion, reply, uid);
    }

    /// <summary>Converts asynchronously (watch events, converted per watcher).</summary>
    public async Task<JsonObject> ConvertAsync(JsonObject obj, string desiredApiVersion, CancellationToken ct)
    {
        if (Json.Str(obj, "apiVersion") == desiredApiVersion) return obj;
        var (review, uid, target) = Prepare(obj, desiredApiVersion);
        JsonObject reply;
        try
        {
            reply = await WebhookClient.PostAsync(loopback(), endpoint, target, review, TimeoutSeconds, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsCallFailure(e) && !ct.IsCancellationRequested)
        {
            throw Failed(obj, CallError(e, target));
        }
        return Finish(obj, desiredApiVersion, reply, uid);
    }

    private static bool IsCallFailure(Exception e) =>
        e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException
            or System.Security.Cryptography.CryptographicException or IOException;

    private static string CallError(Exception e, Uri target) =>
        $"Post \"{target.OriginalString}\": {(e is OperationCanceledException ? "context deadline exceeded" : e.Message)}";

    private (JsonObject Review, string Uid, Uri Target) Prepare(JsonObject obj, string desiredApiVersion)
    {
        var version = reviewVersions.FirstOrDefault(v => v is "v1" or "v1beta1")
            ?? throw KubeApiException.FromStatus(KubeApiException.NewStatus(500, "", "no supported conversion review versions"));
        Uri target;
        try
        {
            target = WebhookClient.Target(endpoint, TimeoutSeconds);
        }
        catch (HttpRequestException e)
        {
            throw Failed(obj, e.Message);
        }
        var uid = Guid.NewGuid().ToString();
        var review = new JsonObject
        {
            ["kind"] = "ConversionReview",
            ["apiVersion"] = $"apiextensions.k8s.io/{version}",
            ["request"] = new JsonObject
            {
                ["uid"] = uid,
                ["desiredAPIVersion"] = desiredApiVersion,
                ["objects"] = new JsonArray(obj.DeepClone()),
            },
        };
        return (review, uid, target);
    }

    private JsonObject Finish(JsonObject original, string desired, JsonObject reply, string uid)
    {
        // v1beta1 replies are not checked for kind and uid, as upstream (compatibility with early webhooks).
        var v1 = reviewVersions.FirstOrDefault(v => v is "v1" or "v1beta1") == "v1";
        if (v1 && (Json.Str(reply, "apiVersion") != "apiextensions.k8s.io/v1" || Json.Str(reply, "kind") != "ConversionReview"))
            throw Failed(original, $"expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got {Gvk(Json.Str(reply, "apiVersion"), Json.Str(reply, "kind"))}");
        var response = Json.Obj(reply, "response") ?? throw Failed(original, "no response provided");
        if (v1 && Json.Str(response, "uid") != uid) throw Failed(original, $"expected response.uid=\"{uid}\", got \"{Json.Str(response, "uid")}\"");
        var result = Json.Obj(response, "result");
        if (Json.Str(result, "status") != "Success")
            throw Failed(original, Json.Str(result, "message") is { Length: > 0 } m ? m : $"response.result.status was '{Json.Str(result, "status")}', not 'Success'");
        var objects = Json.Arr(response, "convertedObjects");
        if (objects?.Count != 1)
            throw Fail($"conversion webhook for {Gvk(original)} returned {objects?.Count ?? 0} objects, expected 1");
        if (objects[0] is not JsonObject converted) throw Fail($"conversion webhook for {Gvk(original)} returned invalid object at index 0: not an object");
        var gv = Json.Str(converted, "apiVersion") ?? "";
        if (gv != desired) throw Fail($"conversion webhook for {Gvk(original)} returned invalid object at index 0: invalid groupVersion (expected {desired}, received {gv})");
        if (Json.Str(converted, "kind") != Json.Str(original, "kind"))
            throw Fail($"conversion webhook for {Gvk(original)} returned invalid object at index 0: invalid kind (expected {Json.Str(original, "kind")}, received {Json.Str(converted, "kind")})");
        var before = Json.Obj(original, "metadata");
        var after = Json.Obj(converted, "metadata");
        foreach (var f in new[] { "name", "namespace", "uid" })
        {
            if (Json.Str(before, f) != Json.Str(after, f))
                throw Fail($"conversion webhook for {Gvk(original)} returned invalid object: must have the same {(f == "uid" ? "UID" : f)}: {Json.Str(before, f)} != {Json.Str(after, f)}");
        }
        if (after is null) throw Fail($"conversion webhook for {Gvk(original)} returned invalid metadata: missing metadata in converted object");
        var meta = before?.DeepClone() as JsonObject ?? [];
        foreach (var f in new[] { "labels", "annotations" })
        {
            if (after[f] is JsonObject m) meta[f] = m.DeepClone();
            else meta.Remove(f);
        }
        var copy = (JsonObject)converted.DeepClone();
        copy["metadata"] = meta;
        return copy;
    }

    private static string Gvk(JsonObject o) => Gvk(Json.Str(o, "apiVersion"), Json.Str(o, "kind"));

    /// <summary>Go's GroupVersionKind.String(): <c>group/version, Kind=kind</c>.</summary>
    private static string Gvk(string? apiVersion, string? kind) => $"{apiVersion}, Kind={kind}";

    private static KubeApiException Failed(JsonObject obj, string why) => Fail($"conversion webhook for {Gvk(obj)} failed: {why}");

    private static KubeApiException Fail(string message) => KubeApiException.FromStatus(KubeApiException.NewStatus(500, "", message));
}
