using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Patch;

namespace Kube.ApiServer.Apply;

/// <summary>
/// A set of field paths, as server-side apply tracks ownership. A path is a sequence of elements in upstream's
/// FieldsV1 notation (<c>f:name</c> for a field, <c>k:{"name":"x"}</c> for an item of an associative list),
/// joined by a newline. Only leaves and associative-list items are members; maps are implied by their fields.
/// </summary>
internal sealed class FieldSet
{
    private const char Sep = '\n';
    private readonly HashSet<string> _paths;

    public FieldSet() => _paths = new HashSet<string>(StringComparer.Ordinal);

    private FieldSet(IEnumerable<string> paths) => _paths = new HashSet<string>(paths, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Paths => _paths;

    public int Count => _paths.Count;

    public bool Contains(string path) => _paths.Contains(path);

    public void Add(string path) => _paths.Add(path);

    public void UnionWith(IEnumerable<string> paths) => _paths.UnionWith(paths);

    public void ExceptWith(IEnumerable<string> paths) => _paths.ExceptWith(paths);

    /// <summary>Whether this set holds <paramref name="path"/> or any path below it.</summary>
    public bool ContainsOrBelow(string path) =>
        _paths.Contains(path) || _paths.Any(p => p.Length > path.Length && p[path.Length] == Sep && p.StartsWith(path, StringComparison.Ordinal));

    // ---------------------------------------------------------------- from objects

    /// <summary>The fields an object sets (without the server-owned metadata and the parts <paramref name="scope"/> excludes).</summary>
    public static FieldSet FromObject(JsonObject obj, FieldScope scope)
    {
        var set = new FieldSet();
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind") continue;
            if (scope == FieldScope.MainIgnoringStatus && key == "status") continue;
            if (scope == FieldScope.StatusOnly && key != "status") continue;
            if (key == "metadata" && value is JsonObject meta)
            {
                foreach (var (mk, mv) in meta)
                {
                    if (ServerMetadata.Contains(mk)) continue;
                    Collect(mv, mk, "f:metadata" + Sep + "f:" + mk, set);
                }
                continue;
            }
            Collect(value, key, "f:" + key, set);
        }
        return set;
    }

    /// <summary>
    /// <c>FromObject(obj, scope).ToFieldsV1()</c> built in one walk of <paramref name="obj"/>, without path strings and
    /// their sort: a create records every field it sets, so this is its managedFields entry. Null where only the path
    /// form gives upstream's answer: an associative list with two items of one key (their fields merge), or a field name
    /// with a character that sorts before the path separator (the order of the paths would differ from each level's).
    /// </summary>
    public static JsonObject? FieldsV1Of(JsonObject obj, FieldScope scope)
    {
        var level = new List<Member>();
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind") continue;
            if (scope == FieldScope.MainIgnoringStatus && key == "status") continue;
            if (scope == FieldScope.StatusOnly && key != "status") continue;
            if (key == "metadata" && value is JsonObject meta)
            {
                var metaLevel = new List<Member>();
                foreach (var (mk, mv) in meta)
                    if (!ServerMetadata.Contains(mk)) metaLevel.Add(new Member("f:" + mk, mv, mk, null));
                if (metaLevel.Count == 0) continue;
                var metaNode = new JsonObject();
                if (!AddSorted(metaNode, metaLevel)) return null;
                level.Add(new Member("f:metadata", null, key, metaNode));
                continue;
            }
            level.Add(new Member("f:" + key, value, key, null));
        }
        var root = new JsonObject();
        return AddSorted(root, level) ? root : null;
    }

    /// <summary>A field or list item of one level of <see cref="FieldsV1Of"/>: its element, and its value or its finished node.</summary>
    private readonly record struct Member(string Element, JsonNode? Value, string Field, JsonObject? Built);

    private static bool AddSorted(JsonObject target, List<Member> members)
    {
        foreach (var m in members)
            if (m.Element.AsSpan(2).IndexOfAnyInRange('\0', Sep) >= 0) return false;
        members.Sort((a, b) => string.CompareOrdinal(a.Element, b.Element));
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0 && members[i].Element == members[i - 1].Element) return false;
            var node = members[i].Built ?? Build(members[i].Value, members[i].Field);
            if (node is null) return false;
            target[members[i].Element] = node;
        }
        return true;
    }

    /// <summary>The FieldsV1 node of one field's value, as <see cref="Collect"/> and <see cref="ToFieldsV1"/> make it.</summary>
    private static JsonObject? Build(JsonNode? node, string field)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0:
            {
                var result = new JsonObject();
                return AddSorted(result, Members(o)) ? result : null;
            }
            case JsonArray a when a.Count > 0 && MergeKeyOf(field, a) is { } key:
            {
                var items = new List<Member>(a.Count);
                foreach (var item in a)
                {
                    var itemNode = new JsonObject();
                    if (!AddSorted(itemNode, Members((JsonObject)item!))) return null;
                    itemNode["."] = new JsonObject();
                    items.Add(new Member(ItemElement(key, (JsonObject)item!), null, field, itemNode));
                }
                var result = new JsonObject();
                return AddSorted(result, items) ? result : null;
            }
            default:
                return new JsonObject();
        }
    }

    private static List<Member> Members(JsonObject o)
    {
        var members = new List<Member>(o.Count);
        foreach (var (k, v) in o) members.Add(new Member("f:" + k, v, k, null));
        return members;
    }

    private static readonly HashSet<string> ServerMetadata = new(StringComparer.Ordinal)
    {
        "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
        "deletionTimestamp", "deletionGracePeriodSeconds", "generateName",
    };

    private static void Collect(JsonNode? node, string field, string path, FieldSet set)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                foreach (var (k, v) in o) Collect(v, k, path + Sep + "f:" + k, set);
                return;
            case JsonArray a when a.Count > 0 && MergeKeyOf(field, a) is { } key:
                foreach (var item in a)
                {
                    var itemPath = path + Sep + ItemElement(key, (JsonObject)item!);
                    set.Add(itemPath);
                    foreach (var (k, v) in (JsonObject)item!) Collect(v, k, itemPath + Sep + "f:" + k, set);
                }
                return;
            default:
                set.Add(path);
                return;
        }
    }

    /// <summary>The key field an associative list merges on, when every item is an object that has it.</summary>
    public static string? MergeKeyOf(string field, JsonArray list)
    {
        string? key;
        if (field == "ports") key = list.All(i => i is JsonObject o && o["containerPort"] is not null) ? "containerPort" : "port";
        else if (!StrategicMergePatch.MergeKeys.TryGetValue(field, out key) || key.Length == 0) return null;
        foreach (var item in list)
            if (item is not JsonObject o || o[key] is null || o[key] is JsonObject or JsonArray) return null;
        return key;
    }

    private static string ItemElement(string key, JsonObject item) =>
        "k:" + new JsonObject { [key] = item[key]!.DeepClone() }.ToJsonString();

    // ---------------------------------------------------------------- navigation

    public static string[] Elements(string path) => path.Split(Sep);

    /// <summary>The node at <paramref name="path"/> in <paramref name="root"/>, or null.</summary>
    public static JsonNode? ValueAt(JsonNode? root, string path)
    {
        var node = root;
        foreach (var e in Elements(path))
        {
            node = Step(node, e, out _, out _);
            if (node is null) return null;
        }
        return node;
    }

    private static JsonNode? Step(JsonNode? node, string element, out JsonArray? list, out int index)
    {
        list = null;
        index = -1;
        if (element.StartsWith("f:", StringComparison.Ordinal))
            return node is JsonObject o ? o[element[2..]] : null;
        if (element.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray a)
        {
            var keyObj = JsonNode.Parse(element[2..]) as JsonObject;
            if (keyObj is null || keyObj.Count != 1) return null;
            var (k, v) = keyObj.First();
            for (var i = 0; i < a.Count; i++)
            {
                if (a[i] is JsonObject item && JsonNode.DeepEquals(item[k], v))
                {
                    list = a;
                    index = i;
                    return item;
                }
            }
        }
        return null;
    }

    /// <summary>Removes the field or list item at <paramref name="path"/> from <paramref name="root"/>; true when something was removed.</summary>
    public static bool RemoveAt(JsonObject root, string path)
    {
        var elements = Elements(path);
        JsonNode? node = root;
        for (var i = 0; i < elements.Length - 1; i++)
        {
            node = Step(node, elements[i], out _, out _);
            if (node is null) return false;
        }
        var last = elements[^1];
        if (last.StartsWith("f:", StringComparison.Ordinal))
            return node is JsonObject o && o.Remove(last[2..]);
        if (Step(node, last, out var list, out var index) is not null && list is not null)
        {
            list.RemoveAt(index);
            return true;
        }
        return false;
    }

    /// <summary>Upstream's way of naming a path in a conflict: <c>.spec.containers[name="x"].image</c>.</summary>
    public static string Describe(string path)
    {
        var sb = new StringBuilder();
        foreach (var e in Elements(path))
        {
            if (e.StartsWith("f:", StringComparison.Ordinal)) sb.Append('.').Append(e[2..]);
            else if (e.StartsWith("k:", StringComparison.Ordinal) && JsonNode.Parse(e[2..]) is JsonObject k)
                sb.Append('[').AppendJoin(",", k.Select(p => $"{p.Key}={p.Value!.ToJsonString()}")).Append(']');
            else sb.Append('.').Append(e);
        }
        return sb.ToString();
    }

    // ---------------------------------------------------------------- FieldsV1

    /// <summary>The FieldsV1 tree: each member path ends in <c>{}</c>, a member with children carries <c>".": {}</c>.</summary>
    public JsonObject ToFieldsV1()
    {
        // Sorted ordinally, a path comes right before its descendants ('\n' sorts below every printable character), and
        // all of them are contiguous: the tree is built depth-first along one open branch, and a member is given its
        // "." marker once it is left with children (after them, as its key order has always been).
        var root = new JsonObject();
        var sorted = new string[_paths.Count];
        _paths.CopyTo(sorted);
        Array.Sort(sorted, StringComparer.Ordinal);
        var open = new List<(string Element, JsonObject Node, bool Member)>();
        foreach (var path in sorted)
        {
            var elements = Elements(path);
            var common = 0;
            while (common < open.Count && common < elements.Length && open[common].Element == elements[common]) common++;
            Close(common);
            var parent = common == 0 ? root : open[common - 1].Node;
            for (var i = common; i < elements.Length; i++)
            {
                if (parent[elements[i]] is not JsonObject child)
                {
                    child = new JsonObject();
                    parent[elements[i]] = child;
                }
                open.Add((elements[i], child, i == elements.Length - 1));
                parent = child;
            }
        }
        Close(0);
        return root;

        void Close(int depth)
        {
            for (var i = open.Count - 1; i >= depth; i--)
            {
                var (_, node, member) = open[i];
                if (member && node.Count > 0 && node["."] is null) node["."] = new JsonObject();
                open.RemoveAt(i);
            }
        }
    }

    public static FieldSet FromFieldsV1(JsonObject? fields)
    {
        var set = new FieldSet();
        if (fields is not null) Walk(fields, "");
        return set;

        void Walk(JsonObject node, string prefix)
        {
            foreach (var (k, v) in node)
            {
                if (k == ".")
                {
                    if (prefix.Length > 0) set.Add(prefix);
                    continue;
                }
                var p = prefix.Length == 0 ? k : prefix + Sep + k;
                if (v is JsonObject child && child.Count > 0) Walk(child, p);
                else set.Add(p);
            }
        }
    }

    public FieldSet Clone() => new(_paths);

    public override string ToString() => JsonSerializer.Serialize(_paths.Order(StringComparer.Ordinal).Select(Describe));
}
