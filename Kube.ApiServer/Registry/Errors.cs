using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Resources;

namespace Kube.ApiServer.Registry;

/// <summary>Builds upstream-shaped <see cref="V1Status"/> errors, as typed <see cref="KubeApiException"/>s.</summary>
internal static class Errors
{
    private static KubeApiException Make(int code, string reason, string message, V1StatusDetails? details = null) =>
        KubeApiException.FromStatus(KubeApiException.NewStatus(code, reason, message, details));

    private static V1StatusDetails Details(ResourceType t, string? name) => new() { Name = name, Group = t.Group, Kind = t.Plural };

    public static KubeApiException NotFound(ResourceType t, string name) =>
        Make(404, "NotFound", $"{t.GroupResource} \"{name}\" not found", Details(t, name));

    public static KubeApiException NotFound(string groupResource, string name, string group = "") =>
        Make(404, "NotFound", $"{groupResource} \"{name}\" not found", new V1StatusDetails { Name = name, Group = group, Kind = groupResource.Split('.')[0] });

    public static KubeApiException AlreadyExists(ResourceType t, string name) =>
        Make(409, "AlreadyExists", $"{t.GroupResource} \"{name}\" already exists", Details(t, name));

    public static KubeApiException Conflict(ResourceType t, string name) =>
        Make(409, "Conflict",
            $"Operation cannot be fulfilled on {t.GroupResource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            Details(t, name));

    public static KubeApiException ConflictMessage(ResourceType t, string name, string why) =>
        Make(409, "Conflict", $"Operation cannot be fulfilled on {t.GroupResource} \"{name}\": {why}", Details(t, name));

    public static KubeApiException Invalid(ResourceType t, string name, IReadOnlyList<V1StatusCause> causes)
    {
        var kindGroup = t.Group.Length == 0 ? t.Kind : $"{t.Kind}.{t.Group}";
        var parts = causes.Select(c => $"{c.Field}: {c.Message}").ToList();
        var summary = parts.Count == 1 ? parts[0] : "[" + string.Join(", ", parts) + "]";
        return Make(422, "Invalid", $"{kindGroup} \"{name}\" is invalid: {summary}",
            new V1StatusDetails { Name = name, Group = t.Group, Kind = t.Kind, Causes = causes.ToList() });
    }

    public static KubeApiException BadRequest(string message) => Make(400, "BadRequest", message);

    public static KubeApiException Expired(string message) => Make(410, "Expired", message);

    public static KubeApiException MethodNotAllowed(string message) => Make(405, "MethodNotAllowed", message);

    public static KubeApiException UnsupportedMediaType(string contentType) =>
        Make(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");

    public static KubeApiException NotAcceptable(string message) => Make(406, "NotAcceptable", message);

    /// <summary>
    /// Upstream's generic 404 (NewGenericServerResponse) carries an empty <c>details</c> object, and clients read it: kubectl
    /// debug dereferences <c>details</c> of the 404 for an unserved <c>pods/ephemeralcontainers</c> and crashed without it.
    /// </summary>
    public static KubeApiException PathNotFound(string path) => Make(404, "NotFound", "the server could not find the requested resource", new V1StatusDetails());

    public static KubeApiException Forbidden(string message) => Make(403, "Forbidden", message);

    public static KubeApiException TooLarge() => Make(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");

    public static KubeApiException Internal(string message) => Make(500, "InternalError", $"Internal error occurred: {message}");

    public static KubeApiException Timeout(string message) => Make(504, "Timeout", message);

    public static V1StatusCause Required(string field, string? detail = null) =>
        new() { Reason = "FieldValueRequired", Field = field, Message = detail is null ? "Required value" : $"Required value: {detail}" };

    public static V1StatusCause InvalidValue(string field, string? value, string detail) =>
        new() { Reason = "FieldValueInvalid", Field = field, Message = $"Invalid value: \"{value}\": {detail}" };

    public static V1StatusCause Immutable(string field, string value) =>
        new() { Reason = "FieldValueInvalid", Field = field, Message = $"Invalid value: {value}: field is immutable" };

    public static V1StatusCause NotSupported(string field, string? value, IEnumerable<string> allowed) =>
        new() { Reason = "FieldValueNotSupported", Field = field, Message = $"Unsupported value: \"{value}\": supported values: {string.Join(", ", allowed.Select(a => $"\"{a}\""))}" };
}
