using System.Text.Json.Nodes;
using k8s.Models;

namespace Kube.ApiServer.Registry;

/// <summary>Writes and reads a v1 Status by hand (KubernetesJson's Status converter is built for reading).</summary>
internal static class StatusJson
{
    public static JsonObject ToObject(V1Status s)
    {
        var o = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = s.Status ?? "Failure",
        };
        if (s.Message is not null) o["message"] = s.Message;
        if (s.Reason is not null) o["reason"] = s.Reason;
        if (s.Details is { } d)
        {
            var details = new JsonObject();
            if (d.Name is not null) details["name"] = d.Name;
            if (d.Group is not null) details["group"] = d.Group;
            if (d.Kind is not null) details["kind"] = d.Kind;
            if (d.Uid is not null) details["uid"] = d.Uid;
            if (d.Causes is { Count: > 0 })
            {
                details["causes"] = new JsonArray(d.Causes.Select(c =>
                {
                    var co = new JsonObject();
                    if (c.Reason is not null) co["reason"] = c.Reason;
                    if (c.Message is not null) co["message"] = c.Message;
                    if (c.Field is not null) co["field"] = c.Field;
                    return (JsonNode)co;
                }).ToArray());
            }
            if (d.RetryAfterSeconds is not null) details["retryAfterSeconds"] = d.RetryAfterSeconds;
            o["details"] = details;
        }
        if (s.Code is not null) o["code"] = s.Code;
        return o;
    }

    public static V1Status FromObject(JsonObject o)
    {
        var d = Json.Obj(o, "details");
        return new V1Status
        {
            ApiVersion = "v1",
            Kind = "Status",
            Metadata = new V1ListMeta(),
            Status = Json.Str(o, "status"),
            Message = Json.Str(o, "message"),
            Reason = Json.Str(o, "reason"),
            Code = (int?)Json.Long(o["code"]),
            Details = d is null ? null : new V1StatusDetails
            {
                Name = Json.Str(d, "name"),
                Group = Json.Str(d, "group"),
                Kind = Json.Str(d, "kind"),
                Uid = Json.Str(d, "uid"),
                Causes = Json.Arr(d, "causes")?.OfType<JsonObject>().Select(c => new V1StatusCause
                {
                    Reason = Json.Str(c, "reason"),
                    Message = Json.Str(c, "message"),
                    Field = Json.Str(c, "field"),
                }).ToList(),
            },
        };
    }
}
