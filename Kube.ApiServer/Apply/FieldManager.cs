using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Registry;
using Kube.Core.Client;
using Kube.Core.Resources;

namespace Kube.ApiServer.Apply;

/// <summary>
/// Server-side apply and the bookkeeping of <c>metadata.managedFields</c>: which manager owns which fields, how an
/// applied configuration merges into the live object, and when it conflicts with another manager.
/// </summary>
internal static class FieldManager
{
    /// <summary>The ownership scope of a write to <paramref name="subresource"/> of <paramref name="t"/>.</summary>
    public static FieldScope ScopeOf(ResourceType t, string? subresource) =>
        subresource == "status" ? FieldScope.StatusOnly
        : t.Subresources.Contains("status") ? FieldScope.MainIgnoringStatus
        : FieldScope.Whole;

    /// <summary>The manager upstream records for a request: fieldManager, else the User-Agent up to its first '/'.</summary>
    public static string ManagerFrom(string? fieldManager, string? userAgent)
    {
        if (!string.IsNullOrEmpty(fieldManager)) return fieldManager;
        if (string.IsNullOrEmpty(userAgent)) return "unknown";
        var slash = userAgent.IndexOf('/', StringComparison.Ordinal);
        var m = slash > 0 ? userAgent[..slash] : userAgent;
        return m.Length > 128 ? m[..128] : m;
    }

    /// <summary>Records an Update operation by <paramref name="manager"/> that turned <paramref name="before"/> into <paramref name="after"/>.</summary>
    public static void RecordUpdate(JsonObject? before, JsonObject after, string manager, string apiVersion, string? subresource, FieldScope scope, string now)
    {
        // A create without managedFields of its own: one entry, every field the object sets (changed = all of them).
        if (before is null && !HasEntries(after) && FieldSet.FieldsV1Of(after, scope) is { } created)
        {
            var single = new JsonArray();
            if (created.Count > 0) single.Add(EntryObject(manager, "Update", apiVersion, now, subresource, created));
            SetManagedFields(after, single);
            return;
        }
        var afterSet = FieldSet.FromObject(after, scope);
        var beforeSet = before is null ? new FieldSet() : FieldSet.FromObject(before, scope);
        var changed = afterSet.Paths.Where(p => !beforeSet.Contains(p)
            || (!IsItem(p) && !JsonNode.DeepEquals(FieldSet.ValueAt(before, p), FieldSet.ValueAt(after, p)))).ToList();
        var removed = beforeSet.Paths.Where(p => !afterSet.Contains(p)).ToList();

        var entries = Entries(before is null ? after : before);
        var found = false;
        foreach (var e in entries)
        {
            e.Fields.ExceptWith(removed);
            if (e.Manager == manager && e.Operation == "Update" && e.Subresource == subresource)
            {
                found = true;
                if (changed.Count > 0)
                {
                    e.Fields.UnionWith(changed);
                    e.Time = now;
                    e.ApiVersion = apiVersion;
                }
            }
            else
            {
                e.Fields.ExceptWith(changed);
            }
        }
        if (!found && changed.Count > 0)
        {
            var entry = new Entry(manager, "Update", apiVersion, now, subresource, new FieldSet());
            entry.Fields.UnionWith(changed);
            entries.Add(entry);
        }
        Write(after, entries);
    }

    /// <summary>
    /// Applies <paramref name="applied"/> for <paramref name="manager"/> to <paramref name="current"/> (null when the object is
    /// new): conflicts unless <paramref name="force"/>, merge, removal of the fields the manager no longer applies.
    /// </summary>
    public static JsonObject Apply(ResourceType t, JsonObject? current, JsonObject applied, string manager, bool force, string? subresource, string now)
    {
        var scope = ScopeOf(t, subresource);
        var appliedSet = FieldSet.FromObject(applied, scope);
        var entries = current is null ? [] : Entries(current);
        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource == subresource);

        var conflicts = new List<(Entry Owner, string Path)>();
        foreach (var other in entries)
        {
            if (ReferenceEquals(other, mine)) continue;
            foreach (var p in appliedSet.Paths)
            {
                if (!other.Fields.Contains(p) || IsItem(p)) continue;
                if (!JsonNode.DeepEquals(FieldSet.ValueAt(current, p), FieldSet.ValueAt(applied, p))) conflicts.Add((other, p));
            }
        }
        if (conflicts.Count > 0 && !force) throw ConflictError(t, Json.Name(applied), conflicts);
        foreach (var (owner, path) in conflicts) owner.Fields.ExceptWith([path]);
        // Another manager of an identical value keeps sharing it; a forced value moves to us alone.

        var result = current is null ? new JsonObject() : Json.Clone(current);
        foreach (var (k, v) in applied)
        {
            if (k == "metadata" && v is JsonObject am)
            {
                var rm = Json.EnsureObj(result, "metadata");
                foreach (var (mk, mv) in am)
                {
                    if (mk == "managedFields") continue;
                    rm[mk] = Merge(rm[mk], mv, mk);
                }
                continue;
            }
            result[k] = Merge(result[k], v, k);
        }

        if (mine is not null)
        {
            // Shortest first: removing a list item removes its fields (and needs its key field to find it).
            var stale = mine.Fields.Paths.Where(p => !appliedSet.Contains(p)).OrderBy(p => p.Length).ToList();
            var removed = new List<string>();
            foreach (var p in stale)
            {
                if (removed.Any(r => p.StartsWith(r + "\n", StringComparison.Ordinal))) continue;
                if (entries.Any(e => !ReferenceEquals(e, mine) && e.Fields.ContainsOrBelow(p))) continue;
                if (FieldSet.RemoveAt(result, p)) removed.Add(p);
            }
        }

        entries.RemoveAll(e => ReferenceEquals(e, mine));
        var entry = new Entry(manager, "Apply", t.ApiVersion, now, subresource, appliedSet);
        entries.Add(entry);
        Write(result, entries);
        return result;
    }

    private static bool IsItem(string path) => path.AsSpan()[(path.LastIndexOf('\n') + 1)..].StartsWith("k:", StringComparison.Ordinal);

    private static JsonNode? Merge(JsonNode? current, JsonNode? applied, string field)
    {
        if (applied is JsonObject ao && current is JsonObject co)
        {
            var result = (JsonObject)co.DeepClone();
            foreach (var (k, v) in ao) result[k] = Merge(result[k], v, k);
            return result;
        }
        if (applied is JsonArray aa && current is JsonArray ca
            && FieldSet.MergeKeyOf(field, aa) is { } key && FieldSet.MergeKeyOf(field, ca) == key)
        {
            var result = (JsonArray)ca.DeepClone();
            foreach (var item in aa.OfType<JsonObject>())
            {
                var index = -1;
                for (var i = 0; i < result.Count; i++)
                    if (JsonNode.DeepEquals(((JsonObject)result[i]!)[key], item[key])) { index = i; break; }
                if (index < 0) result.Add(item.DeepClone());
                else result[index] = Merge(result[index], item, field);
            }
            return result;
        }
        return applied?.DeepClone();
    }

    private static KubeApiException ConflictError(ResourceType t, string name, List<(Entry Owner, string Path)> conflicts)
    {
        static string Who(Entry e) => e.Operation == "Apply" ? $"\"{e.Manager}\"" : $"\"{e.Manager}\" using {e.ApiVersion}";
        var groups = conflicts.GroupBy(c => Who(c.Owner)).ToList();
        var count = conflicts.Count;
        string message;
        if (groups.Count == 1)
        {
            var g = groups[0];
            message = count == 1
                ? $"Apply failed with 1 conflict: conflict with {g.Key}: {FieldSet.Describe(g.First().Path)}"
                : $"Apply failed with {count} conflicts: conflicts with {g.Key}:\n" + string.Join("\n", g.Select(c => "- " + FieldSet.Describe(c.Path)));
        }
        else
        {
            message = $"Apply failed with {count} conflicts: " + string.Join("\n", groups.Select(g =>
                g.Count() == 1
                    ? $"conflict with {g.Key}: {FieldSet.Describe(g.First().Path)}"
                    : $"conflicts with {g.Key}:\n" + string.Join("\n", g.Select(c => "- " + FieldSet.Describe(c.Path)))));
        }
        var causes = conflicts.Select(c => new V1StatusCause
        {
            Reason = "FieldManagerConflict",
            Message = $"conflict with {Who(c.Owner)}",
            Field = FieldSet.Describe(c.Path),
        }).ToList();
        var status = KubeApiException.NewStatus(409, "Conflict", message,
            new V1StatusDetails { Name = name, Group = t.Group, Kind = t.Plural, Causes = causes });
        return KubeApiException.FromStatus(status);
    }

    // ---------------------------------------------------------------- entries

    private sealed class Entry(string manager, string operation, string apiVersion, string time, string? subresource, FieldSet fields)
    {
        public string Manager { get; } = manager;
        public string Operation { get; } = operation;
        public string ApiVersion { get; set; } = apiVersion;
        public string Time { get; set; } = time;
        public string? Subresource { get; } = subresource;
        public FieldSet Fields { get; } = fields;
    }

    private static List<Entry> Entries(JsonObject obj)
    {
        var list = new List<Entry>();
        if (Json.Arr(Json.Obj(obj, "metadata"), "managedFields") is not { } arr) return list;
        foreach (var e in arr.OfType<JsonObject>())
        {
            list.Add(new Entry(Json.Str(e, "manager") ?? "", Json.Str(e, "operation") ?? "Update", Json.Str(e, "apiVersion") ?? "",
                Json.Str(e, "time") ?? "", string.IsNullOrEmpty(Json.Str(e, "subresource")) ? null : Json.Str(e, "subresource"),
                FieldSet.FromFieldsV1(Json.Obj(e, "fieldsV1"))));
        }
        return list;
    }

    /// <summary>Whether <see cref="Entries"/> of <paramref name="obj"/> has any.</summary>
    private static bool HasEntries(JsonObject obj) =>
        Json.Arr(Json.Obj(obj, "metadata"), "managedFields") is { } arr && arr.Any(e => e is JsonObject);

    private static void Write(JsonObject obj, List<Entry> entries)
    {
        var arr = new JsonArray();
        foreach (var e in entries.Where(e => e.Fields.Count > 0))
            arr.Add(EntryObject(e.Manager, e.Operation, e.ApiVersion, e.Time, e.Subresource, e.Fields.ToFieldsV1()));
        SetManagedFields(obj, arr);
    }

    private static JsonObject EntryObject(string manager, string operation, string apiVersion, string time, string? subresource, JsonObject fieldsV1)
    {
        var o = new JsonObject
        {
            ["manager"] = manager,
            ["operation"] = operation,
            ["apiVersion"] = apiVersion,
            ["time"] = time,
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = fieldsV1,
        };
        if (subresource is not null) o["subresource"] = subresource;
        return o;
    }

    private static void SetManagedFields(JsonObject obj, JsonArray arr)
    {
        var meta = Json.Metadata(obj);
        if (arr.Count > 0) meta["managedFields"] = arr;
        else meta.Remove("managedFields");
    }
}
