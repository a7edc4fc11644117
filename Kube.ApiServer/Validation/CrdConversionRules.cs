using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation;

/// <summary>
/// apiextensions-apiserver's validation of a CRD's <c>spec.conversion</c>: the strategy is None or Webhook; Webhook
/// needs a client config with exactly one of an https url (no user, query or fragment) or a service reference (name,
/// namespace, a valid port, a path of DNS-1123 segments), and conversionReviewVersions naming v1 or v1beta1 without
/// duplicates; None may not set either. Field paths are upstream's internal ones
/// (<c>spec.conversion.webhookClientConfig</c>), as its messages show them to v1 clients.
/// </summary>
internal static class CrdConversionRules
{
    private const string P = "spec.conversion";
    private const string UrlForm = "; desired format: https://host[/path]";

    public static void Validate(JsonObject conversion, List<V1StatusCause> causes)
    {
        var strategy = Json.Str(conversion, "strategy") ?? "";
        if (strategy.Length == 0) causes.Add(SchemaValidator.Required($"{P}.strategy"));
        else if (strategy is not ("None" or "Webhook")) causes.Add(Errors.NotSupported($"{P}.strategy", strategy, ["None", "Webhook"]));
        var webhook = Json.Obj(conversion, "webhook");
        var config = Json.Obj(webhook, "clientConfig");
        var versions = Json.Arr(webhook, "conversionReviewVersions");
        if (strategy != "Webhook")
        {
            if (config is not null) causes.Add(CrdSchemaRules.Forbidden($"{P}.webhookClientConfig", "should not be set when strategy is not set to Webhook"));
            if (versions is { Count: > 0 }) causes.Add(CrdSchemaRules.Forbidden($"{P}.conversionReviewVersions", "should not be set when strategy is not set to Webhook"));
            return;
        }
        if (config is null) causes.Add(SchemaValidator.Required($"{P}.webhookClientConfig", "required when strategy is set to Webhook"));
        else
        {
            var url = Json.Str(config, "url");
            var service = Json.Obj(config, "service");
            if ((url is null) == (service is null)) causes.Add(SchemaValidator.Required($"{P}.webhookClientConfig", "exactly one of url or service is required"));
            else if (url is not null) Url(url, $"{P}.webhookClientConfig.url", causes);
            else Service(service!, $"{P}.webhookClientConfig.service", causes);
        }
        ReviewVersions(versions, causes);
    }

    private static void Url(string url, string p, List<V1StatusCause> causes)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u))
        {
            if (url.StartsWith("http://", StringComparison.Ordinal) || !url.Contains("://", StringComparison.Ordinal))
            {
                // Go parses a relative or host-less URL: it has no https scheme and no host.
                var scheme = url.Contains(':', StringComparison.Ordinal) ? url[..url.IndexOf(':', StringComparison.Ordinal)] : "";
                causes.Add(CrdValidator.Invalid(p, scheme, "'https' is the only allowed URL scheme" + UrlForm));
                causes.Add(CrdValidator.Invalid(p, "", "host must be specified" + UrlForm));
            }
            else causes.Add(SchemaValidator.Required(p, $"url must be a valid URL: parse {SchemaValidator.Quote(url)}: invalid URL{UrlForm}"));
            return;
        }
        if (u.Scheme != "https") causes.Add(CrdValidator.Invalid(p, u.Scheme, "'https' is the only allowed URL scheme" + UrlForm));
        if (u.Host.Length == 0) causes.Add(CrdValidator.Invalid(p, "", "host must be specified" + UrlForm));
        if (u.UserInfo.Length > 0) causes.Add(CrdValidator.Invalid(p, u.UserInfo, "user information is not permitted in the URL"));
        if (u.Fragment.Length > 1) causes.Add(CrdValidator.Invalid(p, u.Fragment[1..], "fragments are not permitted in the URL"));
        if (u.Query.Length > 1) causes.Add(CrdValidator.Invalid(p, u.Query[1..], "query parameters are not permitted in the URL"));
    }

    private static void Service(JsonObject service, string p, List<V1StatusCause> causes)
    {
        if (string.IsNullOrEmpty(Json.Str(service, "name"))) causes.Add(SchemaValidator.Required($"{p}.name"));
        if (string.IsNullOrEmpty(Json.Str(service, "namespace"))) causes.Add(SchemaValidator.Required($"{p}.namespace"));
        var port = Json.Long(service["port"]) ?? 443;
        if (port is < 1 or > 65535)
            causes.Add(CrdValidator.Invalid($"{p}.port", port.ToString(CultureInfo.InvariantCulture), "port is not valid: must be between 1 and 65535, inclusive", quote: false));
        var path = Json.Str(service, "path");
        if (path is null or "" or "/") return;
        if (path == "//")
        {
            causes.Add(CrdValidator.Invalid($"{p}.path", path, "segment[0] may not be empty"));
            return;
        }
        if (!path.StartsWith('/')) causes.Add(CrdValidator.Invalid($"{p}.path", path, "must start with a '/'"));
        var check = path[1..];
        if (check.EndsWith('/')) check = check[..^1];
        var steps = check.Split('/');
        for (var i = 0; i < steps.Length; i++)
        {
            if (steps[i].Length == 0) causes.Add(CrdValidator.Invalid($"{p}.path", path, $"segment[{i}] may not be empty"));
            else if (steps[i].Length > 253) causes.Add(CrdValidator.Invalid($"{p}.path", path, $"segment[{i}]: must be no more than 253 characters"));
            else if (!CrdValidator.IsSubdomain(steps[i])) causes.Add(CrdValidator.Invalid($"{p}.path", path, $"segment[{i}]: {CrdValidator.SubdomainMessage}"));
        }
    }

    private static void ReviewVersions(JsonArray? versions, List<V1StatusCause> causes)
    {
        var p = $"{P}.conversionReviewVersions";
        if (versions is not { Count: > 0 })
        {
            causes.Add(SchemaValidator.Required(p));
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var accepted = false;
        for (var i = 0; i < versions.Count; i++)
        {
            var v = Json.Str(versions[i]) ?? "";
            if (!seen.Add(v))
            {
                causes.Add(CrdValidator.Invalid($"{p}[{i}]", v, "duplicate version"));
                continue;
            }
            if (CrdValidator.Dns1035Errors(v) is { } why) causes.Add(CrdValidator.Invalid($"{p}[{i}]", v, why));
            if (v is "v1" or "v1beta1") accepted = true;
        }
        if (!accepted)
            causes.Add(CrdValidator.Invalid(p, "[]string{" + string.Join(", ", versions.Select(v => SchemaValidator.Quote(Json.Str(v) ?? ""))) + "}",
                "must include at least one of v1, v1beta1", quote: false));
    }
}
