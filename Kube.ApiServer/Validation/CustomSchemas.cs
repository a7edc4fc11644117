using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Registry;
using Kube.Core.Resources;

namespace Kube.ApiServer.Validation;

/// <summary>
/// Custom resources' structural schemas (a CRD version's openAPIV3Schema). On the way in, defaults are applied and
/// unknown fields pruned (or reported under fieldValidation Strict/Warn) unless <c>x-kubernetes-preserve-unknown-fields</c>;
/// nulls in non-nullable fields are dropped (or replaced by the default). <see cref="Validate"/> then checks every
/// value against the schema (<see cref="SchemaValidator"/>); <see cref="ApplyDefaults"/> defaults objects read from storage.
/// </summary>
internal sealed class CustomSchemas
{
    private const int MaxDepth = 128;
    private readonly ConcurrentDictionary<(string Group, string Version, string Plural), JsonObject> _schemas = new();

    /// <summary>The value validator (it caches compiled patterns).</summary>
    public SchemaValidator Validator { get; } = new();

    private readonly ConcurrentDictionary<(string Group, string Plural), string> _storageVersions = new();
    private readonly ConcurrentDictionary<ResourceType, CustomResourceConversion?> _conversions = new();

    public void Set(string group, string version, string plural, JsonObject? schema)
    {
        if (schema is null) _schemas.TryRemove((group, version, plural), out _);
        else _schemas[(group, version, plural)] = schema;
        _conversions.Clear();
    }

    /// <summary>Records (or with null forgets) the storage version of a custom resource.</summary>
    public void SetStorageVersion(string group, string plural, string? version)
    {
        if (version is null) _storageVersions.TryRemove((group, plural), out _);
        else _storageVersions[(group, plural)] = version;
        _conversions.Clear();
    }

    private readonly ConcurrentDictionary<(string Group, string Plural), CustomResourceWebhookConverter> _webhooks = new();

    /// <summary>The server's loopback client, through which conversion webhooks' service references are resolved.</summary>
    public Kube.Core.Client.IKubeClient? Loopback { get; set; }

    /// <summary>Records (or with null forgets) a custom resource's <c>spec.conversion</c>; only the Webhook strategy is kept.</summary>
    public void SetConversion(string group, string plural, JsonObject? conversion)
    {
        if (CustomResourceWebhookConverter.From(conversion, () => Loopback) is { } webhook) _webhooks[(group, plural)] = webhook;
        else _webhooks.TryRemove((group, plural), out _);
        _conversions.Clear();
    }

    /// <summary>
    /// The read/write conversion of a custom resource version: needed when it is not the storage version, its schema
    /// has defaults (applied on read) or a conversion webhook converts it (objects stored under an earlier storage version
    /// are converted on read); null otherwise and for built-in kinds, so those reads cost nothing extra.
    /// </summary>
    internal Registry.IStorageConversion? Conversion(ResourceType t)
    {
        if (!_storageVersions.TryGetValue((t.Group, t.Plural), out var storage)) return null;
        return _conversions.GetOrAdd(t, type =>
        {
            var schema = Get(type.Group, type.Version, type.Plural);
            var defaults = schema is not null && HasDefaults(schema) ? schema : null;
            var webhook = _webhooks.TryGetValue((type.Group, type.Plural), out var w) ? w : null;
            if (storage == type.Version && defaults is null && webhook is null) return null;
            return new CustomResourceConversion(type, $"{type.Group}/{storage}", defaults, webhook);
        });
    }

    private readonly ConcurrentDictionary<(string Group, string Version, string Plural), CustomScale> _scales = new();

    /// <summary>Records (or with null forgets) where a custom resource version keeps its replicas.</summary>
    public void SetScale(string group, string version, string plural, CustomScale? scale)
    {
        if (scale is null) _scales.TryRemove((group, version, plural), out _);
        else _scales[(group, version, plural)] = scale;
    }

    /// <summary>The scale paths of a custom resource, or null for other kinds (which keep replicas in spec.replicas).</summary>
    public CustomScale? Scale(ResourceType t) => _scales.TryGetValue((t.Group, t.Version, t.Plural), out var s) ? s : null;

    public JsonObject? Get(string group, string version, string plural) =>
        _schemas.TryGetValue((group, version, plural), out var s) ? s : null;

    /// <summary>Whether any custom resource has a schema (a cheap check before per-object work).</summary>
    public bool Any => !_schemas.IsEmpty;

    /// <summary>
    /// Applies defaults and prunes unknown fields in place; returns the unknown field paths. Type errors are no longer
    /// reported here (Invalid is always empty): <see cref="Validate"/> reports them with every other cause in one 422.
    /// </summary>
    public static (List<string> Unknown, List<V1StatusCause> Invalid) Apply(JsonObject obj, JsonObject schema, bool prune)
    {
        var unknown = new List<string>();
        Walk(obj, schema, "", unknown, prune, root: true, depth: 0);
        return (unknown, []);
    }

    /// <summary>Defaults an object read from storage (nothing is pruned).</summary>
    public static void ApplyDefaults(JsonObject obj, JsonObject schema) => Walk(obj, schema, "", null, prune: false, root: true, depth: 0);

    /// <summary>Whether the schema has a default anywhere (so reads need defaulting).</summary>
    public static bool HasDefaults(JsonNode? schema, int depth = 0) => schema switch
    {
        _ when depth > MaxDepth => false,
        JsonObject o => o.ContainsKey("default") || o.Any(kv => kv.Key != "default" && kv.Key != "enum" && kv.Key != "example" && HasDefaults(kv.Value, depth + 1)),
        JsonArray a => a.Any(n => HasDefaults(n, depth + 1)),
        _ => false,
    };

    /// <summary>The schema causes of a custom object of <paramref name="t"/> (none when it has no schema).</summary>
    public List<V1StatusCause> Validate(ResourceType t, JsonObject obj, JsonObject? old) =>
        Get(t.Group, t.Version, t.Plural) is { } schema ? Validator.ValidateObject(obj, schema, old) : [];

    private static bool Preserve(JsonObject schema) => SchemaValidator.Bool(schema, "x-kubernetes-preserve-unknown-fields");

    private static void Walk(JsonNode? node, JsonObject schema, string path, List<string>? unknown, bool prune, bool root, int depth)
    {
        if (depth > MaxDepth || SchemaValidator.Bool(schema, "x-kubernetes-int-or-string")) return;
        var type = Json.Str(schema, "type");
        switch (node)
        {
            case JsonObject o when type is null or "object":
            {
                var props = Json.Obj(schema, "properties");
                var additional = schema["additionalProperties"];
                var keepMeta = root || SchemaValidator.Bool(schema, "x-kubernetes-embedded-resource");
                if (props is not null)
                {
                    foreach (var (k, ps) in props)
                    {
                        if (ps is not JsonObject pso || (keepMeta && k is "apiVersion" or "kind" or "metadata")) continue;
                        var present = o.TryGetPropertyValue(k, out var v);
                        if (present && v is not null) continue;
                        if (pso["default"] is { } d) o[k] = d.DeepClone();
                        else if (present && !SchemaValidator.Bool(pso, "nullable")) o.Remove(k);
                    }
                }
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    if (keepMeta && key is "apiVersion" or "kind" or "metadata") continue;
                    var childPath = path.Length == 0 ? key : $"{path}.{key}";
                    if (props?[key] is JsonObject childSchema) Walk(o[key], childSchema, childPath, unknown, prune, false, depth + 1);
                    else if (additional is JsonObject addSchema)
                    {
                        if (o[key] is null && !SchemaValidator.Bool(addSchema, "nullable") && Json.Str(addSchema, "type") is not null)
                        {
                            if (addSchema["default"] is { } d) o[key] = d.DeepClone();
                            else o.Remove(key);
                            continue;
                        }
                        Walk(o[key], addSchema, childPath, unknown, prune, false, depth + 1);
                    }
                    else if (Preserve(schema) || additional is JsonValue av && av.TryGetValue<bool>(out var ab) && ab) continue;
                    else
                    {
                        unknown?.Add(childPath);
                        if (prune) o.Remove(key);
                    }
                }
                break;
            }
            case JsonArray a when type is null or "array":
                if (Json.Obj(schema, "items") is { } items)
                {
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (a[i] is null && items["default"] is { } d && !SchemaValidator.Bool(items, "nullable")) a[i] = d.DeepClone();
                        Walk(a[i], items, $"{path}[{i}]", unknown, prune, false, depth + 1);
                    }
                }
                break;
        }
    }
}
