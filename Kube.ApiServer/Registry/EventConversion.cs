using System.Text.Json.Nodes;
using Kube.Core.Resources;

namespace Kube.ApiServer.Registry;

/// <summary>
/// events.k8s.io/v1 Events are stored as core v1 Events, as upstream does, so <c>kubectl get events</c> and
/// <c>kubectl describe</c> (which read core v1) see what recorders write through events.k8s.io, and the other way round.
/// </summary>
internal sealed class EventConversion(ResourceType storageType) : IStorageConversion
{
    /// <summary>(events.k8s.io name, core v1 name) of the fields that differ.</summary>
    private static readonly (string Events, string Core)[] Renames =
    [
        ("regarding", "involvedObject"),
        ("note", "message"),
        ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];

    public ResourceType StorageType { get; } = storageType;

    public static bool Applies(ResourceType t) => t.Group == "events.k8s.io" && t.Plural == "events";

    /// <summary>An events.k8s.io/v1 Event as the core v1 Event that is stored (a new object).</summary>
    public JsonObject ToStorage(JsonObject obj, ResourceType external)
    {
        var o = Json.Clone(obj);
        foreach (var (events, core) in Renames)
        {
            if (o.Remove(events, out var v)) o[core] = v;
        }
        o["apiVersion"] = StorageType.ApiVersion;
        o["kind"] = StorageType.Kind;
        return o;
    }

    /// <summary>A stored core v1 Event as events.k8s.io/v1 (a new object).</summary>
    public JsonObject FromStorage(JsonObject stored, ResourceType external)
    {
        var o = Json.Clone(stored);
        foreach (var (events, core) in Renames)
        {
            if (o.Remove(core, out var v)) o[events] = v;
        }
        o["apiVersion"] = external.ApiVersion;
        o["kind"] = external.Kind;
        return o;
    }
}
